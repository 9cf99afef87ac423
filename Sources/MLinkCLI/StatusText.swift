import MLinkControl

/// The human-readable form of `show`, modelled on `wg show`: an `interface:` block, then one `peer:` block per
/// peer with one aligned line per connection. Renders the same `StatusReport` that `--json` prints, so both
/// forms always agree.
enum StatusText {
    /// The text of `report`; `wallNow` (seconds since the epoch) dates the latest handshake.
    static func render(_ report: StatusReport, wallNow: Double) -> String {
        var out = "interface: \(report.interface)\n"
        out += "  name: \(report.name) (\(report.role))\n"
        out += "  virtual address: \(report.address)\n"
        out += "  public key: \(report.publicKey)\n"
        out += "  mode: \(report.mode)\n"
        if report.listenPort > 0 { out += "  listening port: \(report.listenPort)\n" }
        out += "  links: " + (report.links.isEmpty ? "none" : report.links.map { "\($0.link) \($0.local)\($0.udpGSO ? " (udp gso)" : "")" }.joined(separator: ", ")) + "\n"
        out += budgetLines(report.links)
        out += "  tun offloads: " + (report.tun.offloads.isEmpty ? "none" : report.tun.offloads.joined(separator: " ")) + "\n"
        if report.tun.coalescedSegments > 0 {
            out += "  tun writes: \(report.tun.writes) for \(report.tun.txPackets) packets (\(report.tun.coalescedSegments) coalesced)\n"
        }
        if !report.sourceRouting.isEmpty {
            let entries = report.sourceRouting.map { "\($0.link) from \($0.from) table \($0.table) via \($0.gateway)" + ($0.heals > 0 ? " (healed \($0.heals)x)" : "") }
            out += "  source routing: \(entries.joined(separator: ", "))\n"
        }
        if let metrics = report.metricsListen { out += "  metrics: http://\(metrics)/metrics\n" }
        out += leaseText(report)
        out += routerChoiceLine(report, wallNow: wallNow)  // StatusText+Routers.swift
        for peer in report.peers {
            out += "\npeer: \(peer.name)\n"
            out += "  public key: \(peer.publicKey)\n"
            out += meshLine(peer)
            if !peer.virtualAddresses.isEmpty {
                out += "  virtual addresses: \(peer.virtualAddresses.joined(separator: ", "))\n"
            }
            if let t = peer.latestHandshake {
                out += "  latest handshake: \(ago(wallNow - t))\n"
            } else {
                out += "  latest handshake: never\n"
            }
            out += "  transfer: \(bytes(peer.rxBytes)) received, \(bytes(peer.txBytes)) sent\n"
            out += "  packets: \(peer.counters.delivered) delivered, \(peer.counters.duplicates) duplicates dropped, "
                + "\(peer.counters.tooOld) too old\n"
            if !peer.connections.isEmpty { out += "  connections:\n" }
            out += table(peer.connections.map(connectionColumns)).map { "    \($0)\n" }.joined()
            out += trafficLines(peer.connections)
        }
        if let policies = report.policies { out += policyLines(policies) }
        out += routes(report.routes)
        out += imports(report.imports)
        return out
    }

    /// One connection's columns: link and local address -> remote, state, then the measurements.
    static func connectionColumns(_ c: ConnectionReport) -> [String] {
        let measured = c.rttMilliseconds > 0  // no sample yet: say so rather than "0.00 ms"
        let rtt = measured ? fixed(c.rttMilliseconds, digits: 2) + " ms" : "-"
        let jitter = measured ? fixed(c.jitterMilliseconds, digits: 2) + " ms" : "-"
        return ["\(c.link)", "\(c.local) -> \(c.remote)", c.state.rawValue, "rtt \(rtt)", "jitter \(jitter)",
                "loss \(fixed(c.loss * 100, digits: 1))%", "sent \(bytes(c.counters.txBytes))",
                "received \(bytes(c.counters.rxBytes))", "first \(fixed(c.firstShare * 100, digits: 1))%"]
    }

    /// Rows padded so that every column starts at the same place; the last column is not padded.
    /// The `policies:` block: each class's traffic, the adaptive plans, then the live flows.
    static func policyLines(_ policies: PolicyStatus) -> String {
        var out = "\npolicies:\n"
        out += table(policies.classes.map { usage in
            let extra = usage.dataBytes == 0 ? 0 : Double(usage.extraBytes) / Double(usage.dataBytes)
            return [usage.name, "\(usage.packets) packets", bytes(usage.dataBytes), "+\(bytes(usage.duplicateBytes)) copies",
                    "+\(bytes(usage.parityBytes)) parity", "+\(bytes(usage.repairBytes)) repairs",
                    "+\(bytes(usage.replayBytes)) replays", "(\(fixed(extra * 100, digits: 1))% extra)"]
        }).map { "  \($0)\n" }.joined()
        for plan in policies.adaptive {
            var line = "  adaptive \(plan.peer): \(plan.level)"
            if plan.primaryLink >= 0 { line += " on link \(plan.primaryLink)" }
            if plan.level == "parity" { line += ", 1 parity per \(plan.parityK) on link \(plan.parityLink)" }
            out += line + " (\(plan.changes) changes)" + (plan.reason.isEmpty ? "" : ": \(plan.reason)") + "\n"
        }
        out += aggregateLines(policies.aggregate)
        if !policies.flows.isEmpty { out += "  flows:\n" }
        out += table(policies.flows.map { flow in
            [flow.flow, flow.trafficClass, "by \(flow.reason)" + (flow.detected.isEmpty ? "" : " (\(flow.detected))")
                + (flow.decidedAtPacket == 0 ? "" : " at packet \(flow.decidedAtPacket)"),
             "-> \(flow.policy)", "\(flow.packetsPerSecond) pkt/s", "\(flow.packets) packets"]
        }).map { "    \($0)\n" }.joined()
        return out
    }

    static func table(_ rows: [[String]]) -> [String] {
        guard let count = rows.map(\.count).max() else { return [] }
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[column] - cell.count))
            }.joined(separator: "  ")
        }
    }

    /// Sizes as wg prints them: B, KiB, MiB, GiB with two decimals.
    static func bytes(_ n: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : "\(fixed(v, digits: 2)) \(units[i])"
    }

    /// `value` with exactly `digits` decimals, rounded half away from zero (as `%.Nf` prints it for the values
    /// shown here); "-" for a value that is not finite.
    static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return "-" }
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = UInt64((abs(value) * Double(scale)).rounded())
        let whole = "\(scaled / scale)"
        guard digits > 0 else { return (value < 0 && scaled > 0 ? "-" : "") + whole }
        let fraction = "\(scaled % scale)"
        let padded = String(repeating: "0", count: digits - fraction.count) + fraction
        return (value < 0 && scaled > 0 ? "-" : "") + whole + "." + padded
    }

    /// "1 minute, 3 seconds ago".
    static func ago(_ seconds: Double) -> String {
        var s = seconds.isFinite ? max(0, Int(seconds)) : 0
        if s == 0 { return "now" }
        var parts: [String] = []
        for (unit, size) in [("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)] where s >= size {
            let n = s / size
            s %= size
            parts.append("\(n) \(unit)\(n == 1 ? "" : "s")")
        }
        return parts.joined(separator: ", ") + " ago"
    }
}
