import MLinkTypes

/// One `allowed-routes` entry: a prefix a peer may announce, and how long its announcements may be (an RPKI ROA's
/// max-length, RFC 6482: by default exactly the entry).
public struct AllowedRoute: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var prefix: IPNetwork
    /// The longest announcement inside `prefix` that is allowed, `prefix.prefixLength` ... the family's width.
    public var maxLength: Int

    public init(prefix: IPNetwork, maxLength: Int? = nil) {
        self.prefix = prefix; self.maxLength = maxLength ?? prefix.prefixLength
    }

    public var description: String {
        maxLength == prefix.prefixLength ? "\(prefix)" : "\(prefix) max-length \(maxLength)"
    }
}

/// What an announcement must never capture on the router: its links, the tunnel's own paths, the virtual network.
public struct RouterSurroundings: Sendable, Equatable {
    /// The router's link addresses with their prefix lengths (an address and its on-link network).
    public var linkNetworks: [IPNetwork]
    /// Gateways of the router's links.
    public var gateways: [IPAddress]
    /// Configured endpoints (of router peers, after resolution): mlink's own paths.
    public var endpoints: [IPAddress]
    /// The virtual network (`interface.address`'s network) and the address pool.
    public var virtualNetworks: [IPNetwork]
    /// Each host's addresses: static `allowed-ips` and leases, by peer index.
    public var hostPrefixes: [(peer: Int, prefix: IPNetwork)]

    public init(linkNetworks: [IPNetwork] = [], gateways: [IPAddress] = [], endpoints: [IPAddress] = [],
                virtualNetworks: [IPNetwork] = [], hostPrefixes: [(peer: Int, prefix: IPNetwork)] = []) {
        self.linkNetworks = linkNetworks; self.gateways = gateways; self.endpoints = endpoints
        self.virtualNetworks = virtualNetworks; self.hostPrefixes = hostPrefixes
    }

    public static func == (a: RouterSurroundings, b: RouterSurroundings) -> Bool {
        a.linkNetworks == b.linkNetworks && a.gateways == b.gateways && a.endpoints == b.endpoints
            && a.virtualNetworks == b.virtualNetworks
            && a.hostPrefixes.map(\.peer) == b.hostPrefixes.map(\.peer)
            && a.hostPrefixes.map(\.prefix) == b.hostPrefixes.map(\.prefix)
    }
}

/// The router's checks on a peer's announcement (docs/ROUTING.md): the first failing check sets the verdict.
///
/// 1. host bits (8); 2. martian (7), where the default route counts as martian unless an entry lists it exactly;
/// 3. inside an `allowed-routes` entry (2) and not longer than its max-length (3); 4. no capture: the prefix must
/// neither contain nor lie inside a link network, nor contain a link address, gateway or endpoint (4), nor overlap
/// the virtual network or another host's addresses (5); 5. in the announcement as a whole: listed twice (9), over
/// the limit (6). A listed default route skips check 4: it overlaps everything by definition, and mlink's own
/// datagrams are pinned to their links anyway.
public struct RouteAuthorizer: Sendable {
    /// At most this many accepted prefixes per peer (`max-routes`).
    public var maximumRoutesPerPeer: Int

    public init(maximumRoutesPerPeer: Int = 256) { self.maximumRoutesPerPeer = maximumRoutesPerPeer }

    /// The verdict for one prefix from `peer` (accepted prefixes come back `active`; the election decides standby).
    public func verdict(for prefix: IPNetwork, peer: Int, allowed: [AllowedRoute],
                        surroundings: RouterSurroundings) -> RouteVerdict {
        guard prefix.hasNoHostBits else { return .hostBits }
        let listedDefault = prefix.isDefaultRoute && allowed.contains { $0.prefix == prefix }
        if prefix.isDefaultRoute && !listedDefault { return .martian }
        if !listedDefault, WellKnownPrefixes.prefix(prefix, isInside: WellKnownPrefixes.martians) { return .martian }
        let covering = allowed.filter { $0.prefix.masked.covers(prefix) }
        if covering.isEmpty { return .notAllowed }
        if !covering.contains(where: { prefix.prefixLength <= $0.maxLength }) { return .tooLong }
        if listedDefault { return .active }
        if surroundings.linkNetworks.contains(where: { $0.masked.overlaps(prefix) || prefix.contains($0.address) })
            || surroundings.gateways.contains(where: prefix.contains)
            || surroundings.endpoints.contains(where: prefix.contains) {
            return .overlapsRouter
        }
        if surroundings.virtualNetworks.contains(where: { $0.masked.overlaps(prefix) })
            || surroundings.hostPrefixes.contains(where: { $0.peer != peer && $0.prefix.masked.overlaps(prefix) }) {
            return .overlapsVirtual
        }
        return .active
    }

    /// The verdicts for a whole announcement, in its order.
    public func verdicts(for prefixes: [IPNetwork], peer: Int, allowed: [AllowedRoute],
                         surroundings: RouterSurroundings) -> [RouteVerdict] {
        var seen = Set<IPNetwork>()
        var accepted = 0
        return prefixes.map { prefix in
            guard seen.insert(prefix).inserted else { return .duplicate }
            let verdict = self.verdict(for: prefix, peer: peer, allowed: allowed, surroundings: surroundings)
            guard verdict.isAccepted else { return verdict }
            guard accepted < maximumRoutesPerPeer else { return .overLimit }
            accepted += 1
            return verdict
        }
    }
}
