import MLinkTypes

/// Why a kernel route through the TUN is not taken into forwarding: the `reason` label of
/// `mlink_import_refused_total` and what `show` prints (docs/ROUTING.md, "Reading routes back").
public enum ImportRefusal: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Inside none of the router peer's `allowed-routes`, or longer than the entry's `max-length`.
    case outsideBound = "outside-bound"
    /// Overlaps one of this router's link networks, or contains a link address, a link gateway, a router peer's
    /// endpoint or the router's own virtual address: taking it would capture the tunnel or the router itself.
    case capture
    /// The default route (unless an `allowed-routes` entry lists it exactly), multicast, loopback, link-local,
    /// 0.0.0.0/8, 240.0.0.0/4; also a prefix with host bits, which the kernel never holds.
    case martian
    /// Through the TUN via a gateway that is no router peer's address.
    case notViaRouter = "not-via-router"

    public var description: String { rawValue }
}

/// What the importer made of the kernel's best route to one destination.
public enum ImportDecision: Equatable, Sendable {
    /// Forwarded to this router peer (engine index).
    case imported(peer: Int)
    case refused(ImportRefusal)
}

/// One route of the kernel's table, in the words the importer needs (MLinkNetlink's `Route` without the table).
public struct KernelRouteEntry: Equatable, Hashable, Sendable {
    public var destination: IPNetwork
    /// RTA_PRIORITY; the kernel's default when the message has none (0 for IPv4, 1024 for IPv6).
    public var metric: UInt32
    public var gateway: IPAddress?
    public var outputLinkIndex: Int32?
    /// RTPROT_*: 12 BIRD, 186 and up FRR, 4 static, 109 mlink.
    public var protocolNumber: UInt8

    public init(destination: IPNetwork, metric: UInt32, gateway: IPAddress?, outputLinkIndex: Int32?,
                protocolNumber: UInt8) {
        self.destination = destination; self.metric = metric; self.gateway = gateway
        self.outputLinkIndex = outputLinkIndex; self.protocolNumber = protocolNumber
    }
}

/// A router peer as the import bounds it: the addresses its routes may name as gateway (its static `allowed-ips`,
/// which hold its virtual address) and what may be imported via it (its `allowed-routes`).
public struct ImportBound: Equatable, Sendable {
    public var peer: Int
    public var addresses: [IPNetwork]
    public var allowed: [AllowedRoute]

    public init(peer: Int, addresses: [IPNetwork], allowed: [AllowedRoute]) {
        self.peer = peer; self.addresses = addresses; self.allowed = allowed
    }
}

/// Reads back the routes a routing daemon (BIRD, FRR, an admin) installed through mlink's TUN via a router peer,
/// and decides which of them the engine forwards to that peer (routing.md §3.6, issue 16 item 2).
///
/// It mirrors one kernel table (the main table), destination by destination, and follows the kernel's own choice:
/// for each destination only the route with the lowest metric counts, as in the kernel's lookup. So a host's own
/// /32 through the TUN (protocol 109, metric M < BIRD's 32) shadows BIRD's copy via another router, and the host is
/// served here while it is attached here. The best route is imported when it goes through the TUN, is neither
/// mlink's own nor the kernel's, has a gateway inside a router peer's addresses, and passes `RouteAuthorizer`'s
/// checks against that peer's `allowed-routes` (max-length as in a ROA) and the no-capture checks against this
/// router's links, gateways, router endpoints and own address. The virtual network is not a refusal here: host
/// /32s inside it are exactly what other routers export.
///
/// Refusals are counted once each time a destination's best route becomes refused (a different reason or
/// gateway counts again), so a steady refused route is counted once, however often the table is re-read.
/// Pure: the daemon feeds it netlink dumps and notifications.
public struct RouteImporter: Sendable {
    /// The TUN's interface index.
    public var tunIndex: Int32
    /// Route protocols that are mlink's own (109 and `routing.route-protocol`): never imported.
    public var ownProtocols: Set<UInt8>
    public private(set) var bounds: [ImportBound]
    public private(set) var surroundings: RouterSurroundings
    /// Every route of the table, by destination; a destination may have several metrics.
    public private(set) var routes: [IPNetwork: [KernelRouteEntry]] = [:]
    /// The decision on each destination whose best route goes through the TUN with a gateway.
    public private(set) var decisions: [IPNetwork: (route: KernelRouteEntry, decision: ImportDecision)] = [:]
    /// Refusals counted so far, by reason.
    public private(set) var refusals: [ImportRefusal: UInt64] = [:]
    /// Refusals since the last `takeNewRefusals()`, for the log (each logged once).
    private var newRefusals: [(route: KernelRouteEntry, reason: ImportRefusal)] = []
    private let authorizer = RouteAuthorizer(maximumRoutesPerPeer: Int.max)

    /// The kernel's protocol for routes it derives from addresses: never imported.
    static let kernelProtocol: UInt8 = 2

    public init(tunIndex: Int32, ownProtocols: Set<UInt8>, bounds: [ImportBound], surroundings: RouterSurroundings) {
        self.tunIndex = tunIndex; self.ownProtocols = ownProtocols; self.bounds = bounds
        self.surroundings = RouterSurroundings(linkNetworks: surroundings.linkNetworks,
                                               gateways: surroundings.gateways, endpoints: surroundings.endpoints)
    }

    // MARK: Feeding

    /// Replaces the mirror with a full dump (at start, and after the kernel dropped notifications). Returns the
    /// router peers whose imports changed.
    public mutating func replaceAll(_ entries: [KernelRouteEntry]) -> Set<Int> {
        let before = importedByPeer()
        routes = [:]
        for entry in entries { routes[entry.destination.masked, default: []].append(entry) }
        let destinations = Set(routes.keys).union(decisions.keys)
        for destination in destinations { decide(destination) }
        return changedPeers(before: before)
    }

    /// A route was added or replaced (RTM_NEWROUTE): the kernel keys a route by destination and metric.
    public mutating func add(_ entry: KernelRouteEntry) -> Set<Int> {
        let destination = entry.destination.masked
        let before = decisions[destination]?.decision
        var list = routes[destination] ?? []
        list.removeAll { $0.metric == entry.metric }
        list.append(entry)
        routes[destination] = list
        decide(destination)
        return changedPeers(destination: destination, before: before)
    }

    /// A route was removed (RTM_DELROUTE).
    public mutating func remove(_ entry: KernelRouteEntry) -> Set<Int> {
        let destination = entry.destination.masked
        let before = decisions[destination]?.decision
        var list = routes[destination] ?? []
        list.removeAll { $0.metric == entry.metric }
        routes[destination] = list.isEmpty ? nil : list
        decide(destination)
        return changedPeers(destination: destination, before: before)
    }

    /// New bounds or surroundings (a link came or went, a peer's state changed): every destination is judged again.
    public mutating func update(bounds: [ImportBound], surroundings: RouterSurroundings) -> Set<Int> {
        let trimmed = RouterSurroundings(linkNetworks: surroundings.linkNetworks, gateways: surroundings.gateways,
                                         endpoints: surroundings.endpoints)
        guard bounds != self.bounds || trimmed != self.surroundings else { return [] }
        self.bounds = bounds
        self.surroundings = trimmed
        let before = importedByPeer()
        for destination in Set(routes.keys).union(decisions.keys) { decide(destination) }
        return changedPeers(before: before)
    }

    // MARK: Results

    /// The prefixes imported via `peer`, sorted by address, then length.
    public func prefixes(of peer: Int) -> [IPNetwork] {
        decisions.filter { $0.value.decision == .imported(peer: peer) }.keys.sorted(by: PrefixOrder.less)
    }

    /// Every destination's decision, sorted by prefix.
    public var all: [(route: KernelRouteEntry, decision: ImportDecision)] {
        decisions.keys.sorted(by: PrefixOrder.less).map { decisions[$0]! }
    }

    /// The refusals since the last call, oldest first.
    public mutating func takeNewRefusals() -> [(route: KernelRouteEntry, reason: ImportRefusal)] {
        defer { newRefusals.removeAll() }
        return newRefusals
    }

    // MARK: Deciding

    /// The kernel's pick among the routes to one destination: the lowest metric.
    func best(_ destination: IPNetwork) -> KernelRouteEntry? {
        routes[destination]?.min { $0.metric < $1.metric }
    }

    mutating func decide(_ destination: IPNetwork) {
        let previous = decisions[destination]
        guard let route = best(destination), route.outputLinkIndex == tunIndex, let gateway = route.gateway,
              !ownProtocols.contains(route.protocolNumber), route.protocolNumber != Self.kernelProtocol else {
            decisions[destination] = nil
            return
        }
        let decision = judge(route, gateway: gateway)
        decisions[destination] = (route, decision)
        if case .refused(let reason) = decision,
           previous?.decision != decision || previous?.route.gateway != route.gateway {
            refusals[reason, default: 0] += 1
            newRefusals.append((route, reason))
        }
    }

    func judge(_ route: KernelRouteEntry, gateway: IPAddress) -> ImportDecision {
        guard let bound = bounds.first(where: { $0.addresses.contains { $0.contains(gateway) } }) else {
            return .refused(.notViaRouter)
        }
        switch authorizer.verdict(for: route.destination, peer: bound.peer, allowed: bound.allowed,
                                  surroundings: surroundings) {
        case .active, .standby: return .imported(peer: bound.peer)
        case .notAllowed, .tooLong, .overLimit, .duplicate: return .refused(.outsideBound)
        case .overlapsRouter, .overlapsVirtual: return .refused(.capture)
        case .martian, .hostBits: return .refused(.martian)
        }
    }

    func importedByPeer() -> [IPNetwork: Int] {
        var result: [IPNetwork: Int] = [:]
        for (destination, value) in decisions {
            if case .imported(let peer) = value.decision { result[destination] = peer }
        }
        return result
    }

    func changedPeers(before: [IPNetwork: Int]) -> Set<Int> {
        let after = importedByPeer()
        var changed = Set<Int>()
        for (destination, peer) in before where after[destination] != peer { changed.insert(peer) }
        for (destination, peer) in after where before[destination] != peer { changed.insert(peer) }
        return changed
    }

    func changedPeers(destination: IPNetwork, before: ImportDecision?) -> Set<Int> {
        let after = decisions[destination]?.decision
        guard after != before else { return [] }
        var changed = Set<Int>()
        if case .imported(let peer) = before { changed.insert(peer) }
        if case .imported(let peer) = after { changed.insert(peer) }
        return changed
    }
}

/// The metric of a host's /32 (/128) on a router (issue 16 item 4): `base` (`routing.metric`) on the router the host
/// prefers, `base + 1` on the others, so that a BIRD filter `bgp_med = krt_metric` makes the other routers send to
/// the preferred one. A host that said nothing (no PREFERRED yet, or a host on one router) gets `base`.
public enum HostRouteMetric {
    /// The largest `routing.metric`: base + 1 stays below 2^24, since zebra reads a kernel metric's top byte as
    /// its administrative distance.
    public static let maximumBase: UInt32 = (1 << 24) - 2

    public static func metric(base: UInt32, preferred: Bool?) -> UInt32 {
        let clamped = min(base, maximumBase)
        return preferred == false ? clamped + 1 : clamped
    }
}
