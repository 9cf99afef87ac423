import Foundation

/// The human-readable form of `show`, modelled on `wg show`.
enum StatusText {
    static func render(_ d: [String: Any]) -> String {
        var out = "interface: \(d["interface"] ?? "?")\n"
        out += "  name: \(d["name"] ?? "?") (\(d["role"] ?? "?"), mode \(d["mode"] ?? "?"))\n"
        out += "  public key: \(d["public_key"] ?? "?")\n"
        out += "  address: \(d["address"] ?? "?")\n"
        if let port = d["listen_port"] as? Int, port > 0 { out += "  listening port: \(port)\n" }
        if let links = d["links"] as? [[String: Any]] {
            out += "  links: " + (links.isEmpty ? "none" : links.map { "\($0["link"] ?? "?") \($0["local"] ?? "?")" }.joined(separator: ", ")) + "\n"
        }
        for peer in d["peers"] as? [[String: Any]] ?? [] {
            out += "\npeer: \(peer["name"] ?? "?")\n"
            out += "  public key: \(peer["public_key"] ?? "?")\n"
            if let ips = peer["allowed_ips"] as? [String], !ips.isEmpty { out += "  allowed ips: \(ips.joined(separator: ", "))\n" }
            if let t = peer["latest_handshake"] as? Double {
                out += "  latest handshake: \(ago(Date().timeIntervalSince1970 - t))\n"
            } else {
                out += "  latest handshake: never\n"
            }
            out += "  transfer: \(bytes(peer["rx_bytes"])) received, \(bytes(peer["tx_bytes"])) sent\n"
            out += "  packets: \(peer["delivered"] ?? 0) delivered, \(peer["duplicates"] ?? 0) duplicates dropped, \(peer["too_old"] ?? 0) too old\n"
            for c in peer["connections"] as? [[String: Any]] ?? [] {
                let rtt = (c["rtt_ms"] as? Double).map { String(format: "%.2f ms", $0) } ?? "-"
                let jitter = (c["jitter_ms"] as? Double).map { String(format: "%.2f ms", $0) } ?? "-"
                let loss = (c["loss"] as? Double).map { String(format: "%.1f%%", $0 * 100) } ?? "-"
                let share = (c["first_share"] as? Double).map { String(format: "%.1f%%", $0 * 100) } ?? "-"
                out += "  connection \(c["link"] ?? "?") \(c["local"] ?? "?") -> \(c["remote"] ?? "?"): \(c["state"] ?? "?")\n"
                out += "    rtt \(rtt), jitter \(jitter), loss \(loss), \(bytes(c["tx_bytes"])) sent, \(bytes(c["rx_bytes"])) received, first \(share)\n"
            }
        }
        return out
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
