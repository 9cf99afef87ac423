/// What the kernel no longer holds of the routes and rules someone installed: the comparison behind healing
/// per-link source routing (a link that went down and up again has lost every route through it, silently for
/// IPv4: the kernel sends no RTM_DELROUTE for routes it flushes with a link).
///
/// Pure, so it is tested against recorded dumps. A present route or rule satisfies a wanted one when it says
/// the same thing: fields the wanted one leaves open (metric, preferred source) may hold anything, and a rule
/// listed with protocol 0 (a kernel before 4.17, which drops FRA_PROTOCOL) still counts.
public enum RoutingDiff {
    /// The routes of `wanted` that nothing in `present` satisfies, in `wanted` order.
    public static func missingRoutes(_ wanted: [Route], present: [Route]) -> [Route] {
        wanted.filter { route in !present.contains { route.isSatisfied(by: $0) } }
    }

    /// The rules of `wanted` that nothing in `present` satisfies, in `wanted` order.
    public static func missingRules(_ wanted: [Rule], present: [Rule]) -> [Rule] {
        wanted.filter { rule in !present.contains { rule.isSatisfied(by: $0) } }
    }
}

extension Route {
    /// True when `present` (from a dump) is this route: same destination, gateway, link, table and protocol,
    /// and the same metric and preferred source where this route names them.
    public func isSatisfied(by present: Route) -> Bool {
        destination == present.destination && gateway == present.gateway && table == present.table
            && protocolNumber == present.protocolNumber
            && (outputLinkIndex == nil || outputLinkIndex == present.outputLinkIndex)
            && (metric == nil || metric == present.metric) && (source == nil || source == present.source)
    }
}

extension Rule {
    /// True when `present` (from a dump) is this rule: same family, source, table, priority and
    /// `suppress_prefixlength`, and the same protocol unless the kernel listed none.
    public func isSatisfied(by present: Rule) -> Bool {
        isIPv6 == present.isIPv6 && source == present.source && table == present.table && priority == present.priority
            && suppressPrefixLength == present.suppressPrefixLength
            && (protocolNumber == present.protocolNumber || present.protocolNumber == 0)
    }
}
