import Foundation

/// The human-readable form of `show`, modelled on `wg show`: an `interface:` block, then one `peer:` block per
/// peer with one aligned line per connection. Reads the JSON document of the core, so both forms always agree.
enum StatusText {
    static func render(_ d: [String: Any]) -> String {
        var out = "interface: \(d["interface"] ?? "?")\n"
        out += "  name: \(d["name"] ?? "?") (\(d["role"] ?? "?"))\n"
        out += "  virtual address: \(d["address"] ?? "?")\n"
        out += "  public key: \(d["public_key"] ?? "?")\n"
        out += "  mode: \(d["mode"] ?? "?")\n"
        if let port = d["listen_port"] as? Int, port > 0 { out += "  listening port: \(port)\n" }
        if let links = d["links"] as? [[String: Any]] {
            out += "  links: " + (links.isEmpty ? "none" : links.map { "\($0["link"] ?? "?") \($0["local"] ?? "?")" }.joined(separator: ", ")) + "\n"
        }
        if let routing = d["source_routing"] as? [[String: Any]], !routing.isEmpty {
            let entries = routing.map { "\($0["link"] ?? "?") from \($0["from"] ?? "?") table \($0["table"] ?? "?") via \($0["gateway"] ?? "?")" }
            out += "  source routing: \(entries.joined(separator: ", "))\n"
        }
        if let metrics = d["metrics_listen"] as? String { out += "  metrics: http://\(metrics)/metrics\n" }
        for peer in d["peers"] as? [[String: Any]] ?? [] {
            out += "\npeer: \(peer["name"] ?? "?")\n"
            out += "  public key: \(peer["public_key"] ?? "?")\n"
            if let ips = peer["virtual_addresses"] as? [String], !ips.isEmpty {
                out += "  virtual addresses: \(ips.joined(separator: ", "))\n"
            }
            if let t = peer["latest_handshake"] as? Double {
                out += "  latest handshake: \(ago(Date().timeIntervalSince1970 - t))\n"
            } else {
                out += "  latest handshake: never\n"
            }
            out += "  transfer: \(bytes(peer["rx_bytes"])) received, \(bytes(peer["tx_bytes"])) sent\n"
            out += "  packets: \(peer["delivered"] ?? 0) delivered, \(peer["duplicates"] ?? 0) duplicates dropped, "
                + "\(peer["too_old"] ?? 0) too old\n"
            let connections = peer["connections"] as? [[String: Any]] ?? []
            if !connections.isEmpty { out += "  connections:\n" }
            out += table(connections.map(connectionColumns)).map { "    \($0)\n" }.joined()
        }
        return out
    }

    /// One connection's columns: link and local address -> remote, state, then the measurements.
    static func connectionColumns(_ c: [String: Any]) -> [String] {
        let measured = (c["rtt_ms"] as? Double ?? 0) > 0  // no sample yet: say so rather than "0.00 ms"
        let rtt = measured ? String(format: "%.2f ms", c["rtt_ms"] as? Double ?? 0) : "-"
        let jitter = measured ? String(format: "%.2f ms", c["jitter_ms"] as? Double ?? 0) : "-"
        let loss = (c["loss"] as? Double).map { String(format: "%.1f%%", $0 * 100) } ?? "-"
        let share = (c["first_share"] as? Double).map { String(format: "%.1f%%", $0 * 100) } ?? "-"
        return ["\(c["link"] ?? "?")", "\(c["local"] ?? "?") -> \(c["remote"] ?? "?")", "\(c["state"] ?? "?")",
                "rtt \(rtt)", "jitter \(jitter)", "loss \(loss)", "sent \(bytes(c["tx_bytes"]))",
                "received \(bytes(c["rx_bytes"]))", "first \(share)"]
    }

    /// Rows padded so that every column starts at the same place; the last column is not padded.
    static func table(_ rows: [[String]]) -> [String] {
        guard let count = rows.map(\.count).max() else { return [] }
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }

    /// Sizes as wg prints them: B, KiB, MiB, GiB with two decimals.
    static func bytes(_ value: Any?) -> String {
        let n = (value as? NSNumber)?.doubleValue ?? 0
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = n, i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(Int(n)) B" : String(format: "%.2f %@", v, units[i])
    }

    /// "1 minute, 3 seconds ago".
    static func ago(_ seconds: Double) -> String {
        var s = max(0, Int(seconds))
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
