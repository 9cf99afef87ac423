import CMnl

/// Link and address change notifications, read without blocking from a socket an event loop can poll.
///
/// Subscribed to RTMGRP_LINK, RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR: enough to notice a modem that appears,
/// a cable pulled (carrier lost) and an address obtained by DHCP. Route changes (RTMGRP_IPV4_ROUTE,
/// RTMGRP_IPV6_ROUTE) are watched on request: per-link source routing follows the gateways other software
/// (a DHCP client, a modem manager) installs.
public final class NetlinkMonitor {
    private let socket: NetlinkSocket

    /// Opens the non-blocking socket and subscribes. Changes that happen before this returns are not reported:
    /// take a snapshot with `RouteNetlink.links()`/`addresses()` after creating the monitor, not before.
    public init(includeRoutes: Bool = false) throws {
        var groups = UInt32(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
        if includeRoutes { groups |= UInt32(RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE) }
        socket = try NetlinkSocket(groups: groups, nonBlocking: true)
    }

    /// The socket's descriptor, for epoll (readable when events are pending). Owned by the monitor: do not
    /// close it.
    public var fileDescriptor: Int32 { socket.fileDescriptor }

    /// The events queued now, oldest first, at most those of `batchLimit` datagrams; [] when none are. The
    /// socket stays readable while more are queued, so an event loop reads the rest at its next turn.
    ///
    /// Throws ENOBUFS when the kernel dropped events because they were not read fast enough; the caller must
    /// then take a fresh snapshot with `RouteNetlink`, since it cannot know what it missed.
    public func readEvents() throws -> [NetlinkEvent] {
        try socket.receivePending(limit: NetlinkMonitor.batchLimit, operation: "read netlink events")
            .compactMap(NetlinkMessages.parseEvent)
    }

    /// Datagrams per `readEvents` call: a few hundred microseconds of parsing, so a flood of route
    /// notifications (100k routes loaded at once) delays the data path by no more than that per turn.
    public static let batchLimit = 128
}
