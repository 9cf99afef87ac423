import MLinkControl

extension StatusText {
    /// The `traffic:` block of a peer: per connection, what its bytes were for, sent and received.
    ///
    ///     traffic (sent / received):
    ///       enp0s3 192.168.0.2:40000  data 1.20 MiB / 1.19 MiB  duplicate 0 B / 3.10 KiB  probe 9.20 KiB / 9.20 KiB  control 296 B / 92 B
    static func trafficLines(_ connections: [ConnectionReport]) -> String {
        guard !connections.isEmpty else { return "" }
        let rows = connections.map { c -> [String] in
            let t = c.counters
            return ["\(c.link) \(c.local)",
                    "data \(bytes(t.txDataBytes)) / \(bytes(t.rxDataBytes))",
                    "duplicate \(bytes(t.txDuplicateBytes)) / \(bytes(t.rxDuplicateBytes))",
                    "probe \(bytes(t.txProbeBytes)) / \(bytes(t.rxProbeBytes))",
                    "control \(bytes(t.txControlBytes)) / \(bytes(t.rxControlBytes))"]
        }
        return "  traffic (sent / received):\n" + table(rows).map { "    \($0)\n" }.joined()
    }

    /// One `budget:` line per metered link with a budget.
    ///
    ///     budget wwan0: today 120.00 MiB of 1.00 GiB, month 3.10 GiB of 20.00 GiB (forecast 9.80 GiB)
    static func budgetLines(_ links: [LinkReport]) -> String {
        var out = ""
        for link in links {
            guard let b = link.budget else { continue }
            func part(_ label: String, _ used: UInt64, _ limit: UInt64?) -> String {
                "\(label) \(bytes(used))" + (limit.map { " of \(bytes($0))" } ?? "")
            }
            out += "  budget \(link.link): \(part("today", b.usedToday, b.dailyLimit)), "
                + "\(part("month", b.usedThisMonth, b.monthlyLimit)) (forecast \(bytes(b.monthForecast)))"
                + (b.exhausted ? ", used up" : "") + "\n"
        }
        return out
    }
}
