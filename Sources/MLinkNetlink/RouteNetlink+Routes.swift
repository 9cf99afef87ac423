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
        var words = ["\(route.destination.masked)"]
        if let gateway = route.gateway { words.append("via \(gateway)") }
        if let index = route.outputLinkIndex { words.append("dev \(describeLink(index))") }
        if route.table != 254 { words.append("table \(route.table)") }
        words.append("proto \(route.protocolNumber)")
        if let metric = route.metric { words.append("metric \(metric)") }
        if let source = route.source { words.append("src \(source)") }
        return words.joined(separator: " ")
    }
}
