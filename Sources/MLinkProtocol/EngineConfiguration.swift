import MLinkTypes

/// What the forwarding core tells the protocol engine at start: who we are and who our peers are.
public struct EngineConfiguration {
    /// True on the virtual router.
    public var isRouter: Bool
    /// Our static public key (sent in hellos so the router can find our entry).
    public var publicKey: Key32
    /// Our address inside the virtual network: packets for it are delivered to our TUN.
    public var virtualAddress: IPAddress
    /// The peers: on a host exactly one, the router; on a router, every listed host.
    public var peers: [PeerConfiguration]
    /// How often each connection is probed (ns). Probes also hold NAT mappings open.
    public var probeInterval: UInt64 = 250_000_000
    /// Silence after which a connection counts as down (ns).
    public var livenessTimeout: UInt64 = 1_000_000_000
    /// Silence on every connection after which a host starts a new hello exchange (ns).
    public var sessionTimeout: UInt64 = 4_000_000_000
    /// Oldest a copy may be, relative to the newest, to still be delivered (ns).
    public var maximumCopyAge: UInt64 = 2_000_000_000
    /// A learned (router-side) connection silent this long is forgotten (ns).
    public var forgetAfter: UInt64 = 120_000_000_000

    public init(isRouter: Bool, publicKey: Key32, virtualAddress: IPAddress, peers: [PeerConfiguration]) {
        self.isRouter = isRouter
        self.publicKey = publicKey
        self.virtualAddress = virtualAddress
        self.peers = peers
    }
}

/// One peer as the engine sees it.
public struct PeerConfiguration {
    public var name: String
    public var publicKey: Key32
    /// Inner addresses the peer may use as source, and that are routed to it (router side).
    public var allowedIPs: [IPNetwork]

    public init(name: String, publicKey: Key32, allowedIPs: [IPNetwork]) {
        self.name = name
        self.publicKey = publicKey
        self.allowedIPs = allowedIPs
    }
}
