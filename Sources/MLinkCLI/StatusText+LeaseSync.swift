import MLinkControl

extension StatusText {
    /// The allocator column of a lease row: the allocator, or `synced from r1` (and `provisional`) for a binding
    /// another router made (PROTOCOL.md §14.4).
    static func syncedColumn(_ entry: LeaseEntry) -> String {
        guard let router = entry.synced else { return entry.allocator }
        return "synced from \(router)" + (entry.provisional == true ? " (provisional)" : "")
    }

    /// One line per router peer the leases are replicated with, and the slice problems.
    static func leaseSyncText(_ leases: LeaseReport) -> String {
        guard let sync = leases.sync else { return "" }
        var out = ""
        for router in sync.routers {
            out += "  lease sync with \(router.name): slice \(router.slice ?? "unknown yet"), "
                + (router.tableReceived ? "table received" : "table not received yet")
                + ", \(router.messagesSent) sent, \(router.messagesReceived) received, \(router.merged) merged"
                + (router.conflicts > 0 ? ", \(router.conflicts) conflicts" : "")
                + (router.refused > 0 ? ", \(router.refused) refused" : "")
                + (router.malformed > 0 ? ", \(router.malformed) malformed" : "")
                + (abs(router.clockOffset) > 1 ? ", clock \(router.clockOffset) s off" : "") + "\n"
            if let problem = router.problem { out += "    error: \(problem)\n" }
        }
        if !sync.blocked.isEmpty { out += "  no new leases from: \(sync.blocked.joined(separator: ", ")) (overlap)\n" }
        return out
    }

    /// A host on several routers: which of them accept its address.
    static func hostRoutersText(_ host: HostLeaseReport) -> String {
        guard !host.routers.isEmpty else { return "" }
        return "  lease at routers: " + host.routers.map { "\($0.name) \($0.state)" }.joined(separator: ", ") + "\n"
    }
}
