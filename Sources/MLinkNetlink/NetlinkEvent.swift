/// A change to links or addresses announced by the kernel, as `NetlinkMonitor` reads it.
///
/// This is how hot-plugged interfaces (a modem that appears) join a running bundle without a restart.
public enum NetlinkEvent: Equatable, Sendable {
    /// A link appeared or changed (state, carrier, MTU, name). The corresponding kernel message is
    /// RTM_NEWLINK, which the kernel sends for both; treat it as "insert or update".
    case linkAdded(Link)
    /// A link disappeared. The corresponding kernel message is RTM_DELLINK.
    case linkRemoved(index: Int32, name: String)
    /// An address was assigned or changed. The corresponding kernel message is RTM_NEWADDR.
    case addressAdded(InterfaceAddress)
    /// An address was removed. The corresponding kernel message is RTM_DELADDR.
    case addressRemoved(InterfaceAddress)
    /// A unicast route was added or replaced (only with `NetlinkMonitor(includeRoutes: true)`). The
    /// corresponding kernel message is RTM_NEWROUTE.
    case routeAdded(Route)
    /// A unicast route was removed. The corresponding kernel message is RTM_DELROUTE.
    case routeRemoved(Route)
}
