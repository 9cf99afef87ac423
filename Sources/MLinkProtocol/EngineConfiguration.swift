import MLinkTypes

/// What the forwarding core tells the protocol engine at start: who we are and who our peers are.
public struct EngineConfiguration {
    /// True on the virtual router.
    public var isRouter: Bool
    /// Our static X25519 private key.
    public var privateKey: Key32
    /// Our static public key (what peers list in their profiles).
    public let publicKey: Key32
    /// Our address inside the virtual network: packets for it are delivered to our TUN.
    public var virtualAddress: IPAddress
    /// The peers: on a host exactly one, the router; on a router, every listed host.
    public var peers: [PeerConfiguration]
    /// Shortest probe interval (ns). Each connection's own interval is 2 x (SRTT + 4 RTTVAR) within the bounds.
    /// Probes also hold NAT mappings open.
    public var probeInterval: UInt64 = 100_000_000
    /// Longest probe interval (ns); the profile's `keepalive` lowers it.
    public var maximumProbeInterval: UInt64 = 1_000_000_000
    /// Bytes per second (on the wire) probes may use per connection and direction; 0: no cap.
    public var probeBandwidthLimit: UInt64 = 4000
    /// Expected probe replies that may go missing before a connection is down.
    public var missedProbesForDown = 3
    /// Recent loss (0...1) above which a connection that still answers is degraded.
    public var degradedLoss = 0.05
    /// Silence on every connection after which a host starts a new handshake (ns): how fast a host finds a
    /// router that restarted and lost its sessions.
    public var sessionTimeout: UInt64 = 2_500_000_000
    /// A host starts a new handshake when its session is this old (ns), without a gap: the old session keeps
    /// carrying traffic until the response arrives (WireGuard's REKEY_AFTER_TIME).
    public var rekeyAfterTime: UInt64 = 120_000_000_000
    /// A session is not used, to send or to receive, once this old (ns) (REJECT_AFTER_TIME).
    public var rejectAfterTime: UInt64 = 180_000_000_000
    /// A host rekeys after sending this many messages in one session.
    public var rekeyAfterMessages: UInt64 = 1 << 60
    /// No message is sent with a counter above this, so a counter (nonce) never wraps.
    public var rejectAfterMessages: UInt64 = UInt64.max - (1 << 13)
    /// A pending handshake that got no response is restarted with a fresh ephemeral key after this (ns);
    /// meanwhile the same initiation is resent on every connection each probe interval.
    public var rekeyTimeout: UInt64 = 5_000_000_000
    /// Oldest a copy may be, relative to the newest, to still be delivered (ns).
    public var maximumCopyAge: UInt64 = 2_000_000_000
    /// Most connections a router learns for one peer (a listed peer cannot grow the table beyond this).
    public var maximumConnectionsPerPeer = 32
    /// A learned (router-side) connection silent this long is forgotten (ns).
    public var forgetAfter: UInt64 = 120_000_000_000

    /// How copies are spread (the profile's `mode`).
    public var mode = BundleMode.redundant
    /// Redundant mode: at most this many copies per packet, on the best links (`copies`); 0: one per link.
    public var copies = 0
    /// Probe interval of an idle connection, or of a standby that carries no data (ns; `standby-probe`).
    public var standbyProbeInterval: UInt64 = 5_000_000_000
    /// Probe interval of an idle cold backup (a metered backup link) (ns; the keepalive).
    public var coldProbeInterval: UInt64 = 25_000_000_000
    /// Probe interval of a path that never answered, on a link with another path up (ns).
    public var unansweredPathProbeInterval: UInt64 = 60_000_000_000
    /// A host keeps the RTT-scaled probe rate on idle up paths instead of `standbyProbeInterval` (a host that
    /// announces prefixes: the router then sees it die within a second and moves its prefixes).
    public var fastIdleProbing = false
    /// A connection that neither sent nor received data for this long is idle (ns).
    public var idleAfter: UInt64 = 2_000_000_000
    /// While data flows both ways on a connection it proves the path alive, and probes are sent only for RTT
    /// samples, at most this often (ns).
    public var busyProbeInterval: UInt64 = 1_000_000_000
    /// Failover: a better-role link must be up this long before data moves back to it (ns; doubled per recent
    /// switch, see `flapWindow`).
    public var revertAfter: UInt64 = 10_000_000_000
    /// Failover: switches within this window lengthen the hold before the next failback (ns).
    public var flapWindow: UInt64 = 60_000_000_000
    /// Failover: after a switch the previous link keeps a copy this long (make-before-break) (ns).
    public var switchOverlap: UInt64 = 200_000_000
    /// Failover: on a takeover, the packets sent within this long are replayed on the new link (ns).
    public var replayAge: UInt64 = 200_000_000
    /// A host on several routers: a better router that came back must keep its session this long before the
    /// host moves its traffic back (ns; `preempt-delay`; TunnelEngine+Routers.swift).
    public var routerHoldDown: UInt64 = 30_000_000_000

    public init(isRouter: Bool, privateKey: Key32, virtualAddress: IPAddress, peers: [PeerConfiguration]) {
        self.isRouter = isRouter
        self.privateKey = privateKey
        publicKey = TunnelEngine.publicKey(for: privateKey)
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
    /// The optional pre-shared key of the pair (Noise psk2).
    public var presharedKey: Key32?
    /// Another router (a host's routers, or a router's `role: router` peer), not a host.
    public var isRouter = false
    /// We initiate the session and make connections to the peer's endpoints (a host to each of its routers, a
    /// router to a router peer with a higher key); otherwise we answer and learn connections.
    public var dials = false
    /// A host's routers: lower is preferred among the live ones (`preference`).
    public var preference = 0

    public init(name: String, publicKey: Key32, allowedIPs: [IPNetwork], presharedKey: Key32? = nil) {
        self.name = name
        self.publicKey = publicKey
        self.presharedKey = presharedKey
        self.allowedIPs = allowedIPs
    }
}
