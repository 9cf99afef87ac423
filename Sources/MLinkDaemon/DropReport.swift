import MLinkControl

/// Turns the status report's drop counters and handshake counts into log lines, at most one summary per interval.
///
/// The data path never logs: a flood of forged datagrams must cost a counter increment, not a write to the
/// journal. Instead, every `interval` this compares the counters with the last report and, if anything moved,
/// writes one line per kind of event: dropped datagrams by reason (the names of `DropCounts.fieldList`, as in
/// `show --json` and the metrics), handshakes per peer, refusals blamed on a peer.
struct DropReport {
    var interval = SummaryInterval(10_000_000_000)
    private var lastDrops = DropCounts()
    private var lastPeers: [String: PeerCounts] = [:]

    enum Severity { case info, warning }

    /// Logs what moved since the last report, if `interval` has passed; `status` is only built then.
    mutating func report(now: UInt64, log: Logger, status: () -> StatusReport) {
        guard interval.isDue(now: now) else { return }
        interval.restart(now: now)
        for line in lines(for: status()) {
            switch line.severity {
            case .info: log.info(line.text)
            case .warning: log.warning(line.text)
            }
        }
    }

    /// The log lines for `report` compared with the previous one (and remembers this one).
    mutating func lines(for report: StatusReport) -> [(severity: Severity, text: String)] {
        var lines: [(Severity, String)] = []
        let moved = report.drops.increases(since: lastDrops).map { "\($0.increase) \($0.name)" }
        if !moved.isEmpty {
            lines.append((.info, "dropped in the last \(interval.length / 1_000_000_000) s: \(moved.joined(separator: ", "))"))
        }
        lastDrops = report.drops
        for peer in report.peers {
            let c = peer.counters
            let before = lastPeers[peer.name] ?? PeerCounts()
            if c.handshakes > before.handshakes {
                lines.append((.info, "peer \(peer.name): session established (\(c.handshakes) handshakes so far)"))
            }
            if c.replayedHandshakes > before.replayedHandshakes {
                lines.append((.warning, "peer \(peer.name): \(c.replayedHandshakes - before.replayedHandshakes) "
                                        + "replayed_handshakes refused"))
            }
            if c.sourceRejected > before.sourceRejected {
                lines.append((.warning, "peer \(peer.name): \(c.sourceRejected - before.sourceRejected) "
                                        + "source_rejected (packets from outside its allowed-ips dropped)"))
            }
            lastPeers[peer.name] = c
        }
        return lines
    }
}
