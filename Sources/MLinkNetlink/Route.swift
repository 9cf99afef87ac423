import MLinkTypes

/// A unicast route: where packets for a destination prefix leave, in which table.
///
/// The corresponding kernel message is RTM_NEWROUTE. Only unicast routes are modelled: local, broadcast and
/// multicast routes belong to the kernel, and a model that cannot tell them apart could not delete them safely.
/// Multipath routes (RTA_MULTIPATH) appear with neither gateway nor output link.
public struct Route: Equatable, Sendable {
    /// The destination prefix (0.0.0.0/0 or ::/0 for a default route). Host bits must be clear.
    public var destination: IPNetwork
    /// The next hop; nil for a route straight out of the link (point-to-point devices such as TUN).
    public var gateway: IPAddress?
    /// The output interface index; nil lets the kernel pick it from the gateway.
    public var outputLinkIndex: Int32?
    /// The routing table id: 254 is main, 255 local; ids above 255 are carried in RTA_TABLE.
    public var table: UInt32
    /// Who installed the route (RTPROT_*); mlink tags its own with `RouteProtocol.mlink` so `down` and crash
    /// recovery can find exactly its routes.
    public var protocolNumber: UInt8
    /// The route priority (RTA_PRIORITY), lower wins; nil means the kernel default (0 for IPv4, 1024 for IPv6).
    public var metric: UInt32?
    /// The preferred source address (RTA_PREFSRC) for locally originated traffic.
    public var source: IPAddress?

    /// A route; the defaults describe an mlink route in the main table.
    public init(destination: IPNetwork, gateway: IPAddress? = nil, outputLinkIndex: Int32? = nil,
                table: UInt32 = 254, protocolNumber: UInt8 = RouteProtocol.mlink, metric: UInt32? = nil,
                source: IPAddress? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.outputLinkIndex = outputLinkIndex
        self.table = table
        self.protocolNumber = protocolNumber
        self.metric = metric
        self.source = source
    }
}
