/// The router's answer for one announced prefix (docs/PROTOCOL.md §14.2, ROUTE_STATUS).
///
/// The raw values are wire values. Every refusal has its own case, so a refusal is counted, logged and shown on the
/// announcing host by the same name (`reason`).
public enum RouteVerdict: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Accepted, and this host is the primary for the prefix: routed to it.
    case active = 0
    /// Accepted, but another host announcing the same prefix is primary.
    case standby = 1
    /// Inside no `allowed-routes` entry of the announcing peer.
    case notAllowed = 2
    /// Inside an entry, but longer than its `max-length`.
    case tooLong = 3
    /// Overlaps a router link network, link address, gateway or endpoint: it would capture the tunnel.
    case overlapsRouter = 4
    /// Overlaps the virtual network, a host's address or another peer's static `allowed-ips`.
    case overlapsVirtual = 5
    /// More prefixes than the peer's limit.
    case overLimit = 6
    /// The default route (unless listed), multicast, loopback, link-local, 0.0.0.0/8 or 240.0.0.0/4.
    case martian = 7
    /// Host bits set, as in 192.168.50.1/24.
    case hostBits = 8
    /// The same prefix twice in one announcement.
    case duplicate = 9

    /// True for `active` and `standby`: the prefix passed authorization.
    public var isAccepted: Bool { self == .active || self == .standby }

    /// The name used in `show`, logs and the `reason` label of `mlink_routes_refused_total`.
    public var reason: String {
        switch self {
        case .active: return "active"
        case .standby: return "standby"
        case .notAllowed: return "not-allowed"
        case .tooLong: return "too-long"
        case .overlapsRouter: return "overlaps-router"
        case .overlapsVirtual: return "overlaps-virtual"
        case .overLimit: return "over-limit"
        case .martian: return "martian"
        case .hostBits: return "host-bits"
        case .duplicate: return "duplicate"
        }
    }

    public var description: String { reason }

    /// The name of a wire value, also for values this version does not know ("verdict 42").
    public static func name(ofWireValue value: UInt8) -> String {
        RouteVerdict(rawValue: value)?.reason ?? "verdict \(value)"
    }
}
