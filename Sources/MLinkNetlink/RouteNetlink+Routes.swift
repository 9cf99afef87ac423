extension RouteNetlink {
    /// The unicast IPv4 and IPv6 routes of `table`, or of all tables when nil. The corresponding kernel
    /// message is RTM_GETROUTE (a dump).
    ///
    /// Local, broadcast and multicast routes are left out; see `Route`.
    public func routes(table: UInt32?) throws -> [Route] {
        try socket.exchange({ NetlinkMessages.getRoutes(sequence: $0) }, operation: "list routes")
            .compactMap(NetlinkMessages.parseRoute)
            .filter { table == nil || $0.table == table }
    }

    /// The unicast routes of `table` alone, asked of the kernel by table: cheap on a socket opened with
    /// `strictDumps` (the kernel reads only that table), a full dump filtered here otherwise. The corresponding
    /// kernel message is RTM_GETROUTE with RTA_TABLE (a dump).
    public func routes(inTable table: UInt32) throws -> [Route] {
        try socket.exchange({ NetlinkMessages.getRoutes(table: table, sequence: $0) },
                            operation: "list routes of table \(table)")
            .compactMap(NetlinkMessages.parseRoute)
            .filter { $0.table == table }
    }

    /// Adds a route; EEXIST when the same route is there. The corresponding kernel message is RTM_NEWROUTE.
    public func addRoute(_ route: Route) throws {
        _ = try socket.exchange({ NetlinkMessages.newRoute(route, sequence: $0) },
                                operation: "add route \(describe(route))")
    }

    /// Deletes a route, matching its protocol so that only the originator's route goes. The corresponding
    /// kernel message is RTM_DELROUTE.
    public func deleteRoute(_ route: Route) throws {
        _ = try socket.exchange({ NetlinkMessages.deleteRoute(route, sequence: $0) },
                                operation: "delete route \(describe(route))")
    }

    /// The route in `ip route` words, for error messages.
    func describe(_ route: Route) -> String {
        route.ipArguments(device: route.outputLinkIndex.map(describeLink))
    }
}
