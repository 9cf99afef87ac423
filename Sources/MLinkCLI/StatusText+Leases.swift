import MLinkControl

extension StatusText {
    /// The lease lines of the interface block: a host's lease and timers, or a router's pool and its table
    /// (one line per binding, like `ip neigh`: address, peer, state, time left, allocator).
    static func leaseText(_ report: StatusReport) -> String {
        guard let leases = report.leases else { return "" }
        var out = ""
        if let host = leases.host {
            if let address = host.address, let expires = host.expiresIn, let renew = host.renewIn, let rebind = host.rebindIn {
                out += "  lease: \(address), renew in \(duration(renew)), rebind in \(duration(rebind)), "
                    + "expires in \(duration(expires))\n"
            } else {
                out += "  lease: none" + (host.lastRefusal.map { " (refused: \($0))" } ?? " yet") + "\n"
            }
            out += hostRoutersText(host)
        }
        if let pool = leases.pool {
            out += "  address pool: \(pool), allocating \(leases.allocate ?? pool): \(leases.bound) bound, "
                + "\(leases.hold) hold, \(leases.declined) declined, \(leases.free) free"
                + (leases.exhaustedRefusals > 0 ? ", \(leases.exhaustedRefusals) refused (pool-exhausted)" : "") + "\n"
            if !leases.table.isEmpty {
                out += "  leases:\n"
                let rows = leases.table.map { entry in
                    [entry.address, entry.peer, entry.state,
                     entry.expiresIn >= 0 ? "expires in \(duration(entry.expiresIn))" : "expired \(duration(-entry.expiresIn)) ago",
                     syncedColumn(entry)]
                }
                out += table(rows).map { "    \($0)\n" }.joined()
            }
            out += leaseSyncText(leases)  // StatusText+LeaseSync.swift
        }
        return out
    }

    /// Whole seconds as `1h 2m 3s` (leading zero units left out).
    static func duration(_ seconds: Double) -> String {
        var rest = Int(seconds.rounded(.down))
        let hours = rest / 3600
        rest %= 3600
        let minutes = rest / 60
        rest %= 60
        if hours > 0 { return "\(hours)h \(minutes)m \(rest)s" }
        if minutes > 0 { return "\(minutes)m \(rest)s" }
        return "\(rest)s"
    }
}
