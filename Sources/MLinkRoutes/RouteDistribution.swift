import MLinkTypes

/// The ROUTE_TABLE the router sends one host: every active announced prefix of the other hosts and the router's
/// `push-routes`, never the host's own announcements (it reaches those itself), sorted by `PrefixOrder`.
public enum RouteDistribution {
    /// The table for `peer`. `ownAnnouncements` is everything that peer announced, accepted or not, so a standby
    /// is never sent its own prefix through another host. A push-route equal to an announced prefix is sent once,
    /// as the announcement.
    public static func table(for peer: Int, active: [(prefix: IPNetwork, peer: Int, preference: UInt8)],
                             ownAnnouncements: Set<IPNetwork>, pushRoutes: [IPNetwork]) -> [RoutePrefixItem] {
        var items: [IPNetwork: RoutePrefixItem] = [:]
        for route in pushRoutes where !ownAnnouncements.contains(route.masked) {
            items[route.masked] = RoutePrefixItem(prefix: route.masked, preference: 0, flags: RoutePrefixItem.pushedFlag)
        }
        for route in active where route.peer != peer && !ownAnnouncements.contains(route.prefix) {
            items[route.prefix] = RoutePrefixItem(prefix: route.prefix, preference: route.preference, flags: 0)
        }
        return items.values.sorted { PrefixOrder.less($0.prefix, $1.prefix) }
    }
}
