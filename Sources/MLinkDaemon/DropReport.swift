import MLinkProtocol

/// Turns the engine's drop counters and handshake counts into log lines, at most one summary per interval.
///
/// The data path never logs: a flood of forged datagrams must cost a counter increment, not a write to the
/// journal. Instead, every `interval` this compares the counters with the last report and, if anything moved,
/// writes one line per kind of event: dropped datagrams by reason, handshakes per peer, refusals blamed on a peer.
struct DropReport {
    var interval: UInt64 = 10_000_000_000
    private var lastReport: UInt64 = 0
    private var lastDrops = TunnelEngine.GlobalDrops()
    private var lastPeers: [String: [UInt64]] = [:]

    mutating func report(_ engine: TunnelEngine, now: UInt64, log: Logger) {
        guard now &- lastReport >= interval else { return }
        lastReport = now
        let drops = engine.globalDrops
        let reasons: [(String, UInt64, UInt64)] = [
            ("malformed", drops.malformed, lastDrops.malformed),
            ("unknown session", drops.unknownSession, lastDrops.unknownSession),
            ("failed authentication", drops.unauthenticated, lastDrops.unauthenticated),
            ("unknown key", drops.unknownKey, lastDrops.unknownKey),
            ("handshake rate limit", drops.rateLimited, lastDrops.rateLimited),
            ("no route", drops.noRoute, lastDrops.noRoute),
        ]
        let moved = reasons.filter { $0.1 > $0.2 }.map { "\($0.1 - $0.2) \($0.0)" }
        if !moved.isEmpty { log.info("dropped in the last \(interval / 1_000_000_000) s: \(moved.joined(separator: ", "))") }
        lastDrops = drops
        for peer in engine.peers {
            let c = peer.counters
            let now = [c.handshakes, c.replayedHandshakes, c.sourceRejected]
            let before = lastPeers[peer.name] ?? [0, 0, 0]
            if now[0] > before[0] { log.info("peer \(peer.name): session established (\(now[0]) handshakes so far)") }
            if now[1] > before[1] { log.warning("peer \(peer.name): \(now[1] - before[1]) replayed initiations refused") }
            if now[2] > before[2] {
                log.warning("peer \(peer.name): \(now[2] - before[2]) packets from outside its allowed-ips dropped")
            }
            lastPeers[peer.name] = now
        }
    }
}
