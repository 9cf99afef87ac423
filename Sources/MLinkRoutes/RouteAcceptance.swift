import MLinkTypes

/// A host's `router.accept-routes`: which distributed routes it installs.
public enum AcceptRoutes: Equatable, Sendable, CustomStringConvertible {
    /// Nothing.
    case none
    /// RFC 1918, 100.64.0.0/10 and ULA (the default).
    case privateOnly
    /// Everything (but still never the default route without `accept-default`).
    case all
    /// Routes inside one of these prefixes.
    case list([IPNetwork])

    public var description: String {
        switch self {
        case .none: return "none"
        case .privateOnly: return "private"
        case .all: return "all"
        case .list(let prefixes): return prefixes.map(\.description).joined(separator: ", ")
        }
    }
}

/// What a host has that a distributed route must not capture.
public struct HostSurroundings: Sendable, Equatable {
    /// A connected network with its interface name (the host's own LANs; the mlink TUN is left out).
    public struct Connected: Sendable, Equatable {
        public var network: IPNetwork
        public var interface: String
        public init(network: IPNetwork, interface: String) { self.network = network; self.interface = interface }
    }

    public var connected: [Connected]
    /// Link gateways with their interfaces.
    public var gateways: [(address: IPAddress, interface: String)]
    /// The router's resolved endpoints.
    public var endpoints: [IPAddress]

    public init(connected: [Connected] = [], gateways: [(address: IPAddress, interface: String)] = [],
                endpoints: [IPAddress] = []) {
        self.connected = connected; self.gateways = gateways; self.endpoints = endpoints
    }

    public static func == (a: HostSurroundings, b: HostSurroundings) -> Bool {
        a.connected == b.connected && a.endpoints == b.endpoints
            && a.gateways.map(\.address) == b.gateways.map(\.address)
            && a.gateways.map(\.interface) == b.gateways.map(\.interface)
    }
}

/// Whether a host installs a distributed route, and why not.
public enum RouteDecision: Equatable, Sendable, CustomStringConvertible {
    case install
    /// `accept-routes` does not take it.
    case notAccepted
    /// The default route without `accept-default: true`.
    case defaultRoute
    /// It overlaps one of the host's connected networks.
    case overlapsConnected(IPNetwork, interface: String)
    /// It contains a link gateway.
    case overlapsGateway(IPAddress, interface: String)
    /// It contains a router endpoint.
    case overlapsEndpoint(IPAddress)

    /// The short reason (JSON `reason`, metric label): installed, not-accepted, default-route, overlaps.
    public var reason: String {
        switch self {
        case .install: return "installed"
        case .notAccepted: return "not-accepted"
        case .defaultRoute: return "default-route"
        case .overlapsConnected, .overlapsGateway, .overlapsEndpoint: return "overlaps"
        }
    }

    /// What `show` prints: `installed`, or `skipped: overlaps 192.168.1.0/24 on wlan0`.
    public var description: String {
        switch self {
        case .install: return "installed"
        case .notAccepted: return "skipped: not accepted (accept-routes)"
        case .defaultRoute: return "skipped: default route (accept-default is false)"
        case .overlapsConnected(let network, let interface): return "skipped: overlaps \(network) on \(interface)"
        case .overlapsGateway(let gateway, let interface): return "skipped: overlaps gateway \(gateway) on \(interface)"
        case .overlapsEndpoint(let endpoint): return "skipped: overlaps router endpoint \(endpoint)"
        }
    }
}

/// A host's decision on each distributed route: policy first, then the capture guard. It never reorders tables
/// or raises metrics to win against a local route: a route that would capture is skipped and shown.
public struct RouteAcceptance: Sendable, Equatable {
    public var policy: AcceptRoutes
    public var acceptDefault: Bool

    public init(policy: AcceptRoutes = .privateOnly, acceptDefault: Bool = false) {
        self.policy = policy; self.acceptDefault = acceptDefault
    }

    public func decide(_ prefix: IPNetwork, surroundings: HostSurroundings) -> RouteDecision {
        if prefix.isDefaultRoute {
            guard acceptDefault, policy != .none else { return .defaultRoute }
        } else {
            switch policy {
            case .none: return .notAccepted
            case .all: break
            case .privateOnly:
                guard WellKnownPrefixes.prefix(prefix, isInside: WellKnownPrefixes.privateSpace) else { return .notAccepted }
            case .list(let prefixes):
                guard prefixes.contains(where: { $0.masked.covers(prefix) }) else { return .notAccepted }
            }
        }
        // The default route overlaps every connected network by definition; with accept-default the host asked
        // for it, and longest-prefix match keeps the LANs local.
        if prefix.isDefaultRoute { return .install }
        if let local = surroundings.connected.first(where: { $0.network.masked.overlaps(prefix) }) {
            return .overlapsConnected(local.network.masked, interface: local.interface)
        }
        if let gateway = surroundings.gateways.first(where: { prefix.contains($0.address) }) {
            return .overlapsGateway(gateway.address, interface: gateway.interface)
        }
        if let endpoint = surroundings.endpoints.first(where: prefix.contains) { return .overlapsEndpoint(endpoint) }
        return .install
    }
}
