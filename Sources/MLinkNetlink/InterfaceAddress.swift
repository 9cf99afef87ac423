import CMnl
import MLinkTypes

/// An address assigned to an interface, with its prefix length.
///
/// The corresponding kernel message is RTM_NEWADDR. The address keeps its host bits (10.77.0.10/24, not
/// 10.77.0.0/24) because that is what a socket binds to; `network.masked` gives the on-link prefix.
public struct InterfaceAddress: Equatable, Sendable {
    /// The index of the interface holding the address.
    public var linkIndex: Int32
    /// The local address and its prefix length.
    public var network: IPNetwork
    /// The kernel's scope (RT_SCOPE_*): 0 global, 253 link, 254 host.
    public var scope: UInt8
    /// The address flags (IFA_F_*), e.g. tentative while IPv6 duplicate detection runs.
    public var flags: UInt32

    /// An address from its fields; scope and flags default to a plain global address.
    public init(linkIndex: Int32, network: IPNetwork, scope: UInt8 = 0, flags: UInt32 = 0) {
        self.linkIndex = linkIndex
        self.network = network
        self.scope = scope
        self.flags = flags
    }

    /// True for link-scope addresses (fe80::/10, 169.254/16): usable only on their own link, so never a
    /// source for traffic that crosses a router.
    public var isLinkLocal: Bool { scope == UInt8(RT_SCOPE_LINK.rawValue) }

    /// True while IPv6 duplicate address detection has not finished; such an address cannot be bound yet.
    public var isTentative: Bool { flags & UInt32(IFA_F_TENTATIVE) != 0 }
}
