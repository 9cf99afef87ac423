/// A network interface as the kernel reports it.
///
/// The corresponding kernel message is RTM_NEWLINK. Only what mlink decides on is kept: the state bits tell a
/// usable link from one that is administratively down or has lost its carrier, and `kind` tells mlink's own TUN
/// devices from the physical links it sends over.
public struct Link: Equatable, Sendable {
    /// The interface index, stable for the life of the interface.
    public var index: Int32
    /// The interface name (at most 15 bytes).
    public var name: String
    /// The MTU in bytes.
    public var mtu: Int
    /// Administratively up (IFF_UP): someone ran `ip link set up`.
    public var isUp: Bool
    /// The loopback interface (IFF_LOOPBACK), never a candidate link.
    public var isLoopback: Bool
    /// Physical layer up (IFF_LOWER_UP): a cable, radio or peer is there. Up without carrier sends nothing.
    public var hasCarrier: Bool
    /// The driver kind (IFLA_INFO_KIND) such as "tun" or "veth"; nil for physical devices.
    public var kind: String?

    /// A link from its fields; used by tests and fakes, the kernel's links come from `RouteNetlink.links()`.
    public init(index: Int32, name: String, mtu: Int, isUp: Bool, isLoopback: Bool = false,
                hasCarrier: Bool = false, kind: String? = nil) {
        self.index = index
        self.name = name
        self.mtu = mtu
        self.isUp = isUp
        self.isLoopback = isLoopback
        self.hasCarrier = hasCarrier
        self.kind = kind
    }
}
