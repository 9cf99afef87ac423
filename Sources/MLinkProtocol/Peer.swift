import MLinkControl
import MLinkFlows
import MLinkTypes

/// Per-peer counters: MLinkControl's `PeerCounts`, the one list of their names, kept by the engine itself so
/// `show`, the metrics and the drop log read what the engine counts with no copy in between.
public typealias PeerCounters = PeerCounts

/// A peer and its bundle: the session shared by all connections, and the connections themselves.
public final class Peer {
    public let name: String
    public let publicKey: Key32
    public let allowedIPs: [IPNetwork]
    /// Another router: a host's router, or a router's `role: router` peer (TunnelEngine+Routers.swift).
    public let isRouter: Bool
    /// We initiate and make the connections (a host to each router; a router to a router peer with a higher
    /// key); otherwise we answer the peer's handshakes and learn its connections from its packets.
    public let dials: Bool
    /// A host's router: lower is preferred among the live ones.
    public let preference: Int
    /// A dialled peer's resolved endpoints: one connection per local link and endpoint of the same family.
    var endpoints: [SocketAddress] = []
    /// A host's router: when its session and bundle were last seen live without interruption (0: not live), and
    /// the PREFERRED byte last queued to it (-1: none since its session was established).
    public internal(set) var liveSince: UInt64 = 0
    var wasLive = false
    var sentPreferred = -1
    var preferredSession: UInt32 = 0
    /// A router's host: the PREFERRED byte it last sent (nil: none since its session was established).
    public internal(set) var preferred: Bool?
    /// The psk mixed into the handshake (all zeros when the profile gives none, as WireGuard does).
    let presharedKey: Key32
    /// The current session: the one we send with.
    public internal(set) var session: Session?
    /// The session before the current one, still accepted on receive so packets in flight are not lost.
    var previousSession: Session?
    /// Router side: the session of the last answered initiation, not yet confirmed by the host. It becomes
    /// current when the first authentic transport message arrives under it, so a replayed initiation (which
    /// nobody can follow with a transport message) never displaces a working session.
    var nextSession: Session?
    /// Host side: the handshake waiting for its response.
    var pending: PendingHandshake?
    /// Host side: the response that completed the current session, so the same response arriving on other
    /// paths confirms those paths.
    var acceptedResponse: [UInt8] = []
    /// When it was accepted: repeats count as path confirmations only within the rekey timeout.
    var acceptedResponseAt: UInt64 = 0
    /// Router side: the newest initiation timestamp accepted from this peer (replay protection).
    var latestInitiation = InitiationTimestamp.zero
    /// Router side: the last answered initiation (bytes 4 to the end) and our response, to answer the same
    /// initiation arriving on other paths without a second handshake.
    var cachedInitiation: [UInt8] = []
    var cachedResponse: [UInt8] = []
    /// The bundle.
    public internal(set) var connections: [Connection] = []
    public internal(set) var counters = PeerCounters()
    /// Roles and costs of the host-side links, by link number (the high byte of a path id): on a host our own
    /// links, on a router this host's (LinkPolicy.swift). Fixed size, so a lookup on the data path is an index.
    public internal(set) var linkPolicies = [LinkPolicy](repeating: .primary, count: 256)
    /// False while every link is an unmetered primary: copies are planned as before roles existed.
    var hasLinkPolicies = false
    /// Router: the mode and copies this host announced (LINK_ROLES), instead of the profile's; nil: none yet.
    var modeOverride: BundleMode?
    var copiesOverride: Int?
    /// LINK_ROLES bookkeeping (LinkPolicy+Feedback.swift): the (session, generation) last sent (host) or
    /// applied (router), the host's generation counter, and whether the roles changed since.
    var announcedRoles: (session: UInt32, generation: UInt32) = (0, 0)
    var rolesGeneration: UInt32 = 0
    var rolesDirty = false
    var rolesEverAnnounced = false
    /// Failover mode: the recent sealed packets, for a replay on takeover (ReplayRing.swift).
    var replayRing: ReplayRing?
    /// Receiver feedback to this peer (missing counters) and repairs waiting to leave (TunnelEngine+Feedback.swift).
    let receiverFeedback = ReceiverFeedback()
    let pendingRepairs = RepairQueue()
    /// Failover mode: the link carrying data (LinkPolicy+Failover.swift).
    public internal(set) var failover = FailoverState()
    /// Monotonic time of the last completed handshake (0: never).
    public internal(set) var lastHandshake: UInt64 = 0
    /// Control messages waiting to leave or for their ACK (TunnelEngine+Control.swift).
    let control = ControlChannel()
    /// Adaptive mode's decision for this peer and how often it changed (TunnelEngine+Policy.swift).
    public internal(set) var adaptive = AdaptivePlan()
    public internal(set) var adaptiveChanges: UInt64 = 0
    /// Packets per second sent to the peer, as adaptive mode measures it each tick.
    var adaptiveRate = 0.0
    var adaptiveRateAt: UInt64 = 0
    var adaptiveRateSent: UInt64 = 0
    /// Small packets' bytes since the last tick, the smoothed byte rates of small packets and of all data to the
    /// peer (bytes/s), and whether small packets are duplicated while protection is on (TunnelEngine+Policy.swift
    /// `noteAdaptiveByteRate`).
    var adaptiveSmallBytes: UInt64 = 0
    var adaptiveSmallRate = 0.0
    var adaptiveDataRate = 0.0
    var adaptiveSmallIsCheap = false
    var adaptiveBytesAt: UInt64 = 0
    var adaptiveBytesSent: UInt64 = 0
    /// The adaptive primary's RTT variation averaged over about `TunnelEngine.repairJitterAveraging` (ns), the
    /// connection it belongs to, when it was last folded in and since when it is averaged (TunnelEngine+Policy.swift
    /// `repairJitter`).
    var adaptiveJitter = 0.0
    var adaptiveJitterConnection = -1
    var adaptiveJitterAt: UInt64 = 0
    var adaptiveJitterSince: UInt64 = 0
    /// Since when another link ranks before the adaptive primary (0: none does).
    var adaptivePrimaryChallenged: UInt64 = 0
    /// The host-side link whose cut (down, or reported silent with nothing heard on it since) escalated adaptive
    /// mode, while it lasts (-1: none): the data keeps off it, duplicated on the best two of the rest.
    var adaptiveCutLink = -1
    /// Parity goes only on this host-side link (-1: with the data's copies).
    var parityLink = -1
    /// Parity this side sends to the peer, and keeps for recovering the peer's packets (TunnelEngine+Parity.swift).
    var paritySender: ParitySender?
    var parityReceiver: ParityReceiver?
    /// Aggregate mode: the sender's link estimates and stripe chain, the receiver's reorder buffer (made at first use).
    var stripes: StripeScheduler?
    var reorder: ReorderBuffer?
    /// Adaptive k-of-n striping (TunnelEngine+KOfN.swift): the data links in rotation, and the last one used.
    var stripeData: [Int] = { var links = [Int](); links.reserveCapacity(8); return links }()
    var stripeNext = 0
    /// True while the peer is in the engine's list of peers with control work.
    var hasControlWork = false
    /// Failover: a PATH_SILENT made the active link unhealthy; the takeover runs in this wake-up's `flushControl`
    /// instead of waiting for the next tick.
    var failoverDue = false
    /// A PATH_SILENT came for an adaptive peer: re-plan (escalate and replay) in this wake-up (`flushControl`).
    var adaptiveDue = false
    /// True while at least one connection is up or degraded (the `bundleUp`/`bundleDown` events).
    public internal(set) var bundleIsUp = false
    /// Prefixes added at run time (leases, accepted announcements, distributed routes), by owner.
    public internal(set) var dynamicPrefixes: [DynamicPrefixOwner: [IPNetwork]] = [:]
    /// allowed-ips and every dynamic prefix: what the inner source check and a router's routes use.
    var acceptedSources: [IPNetwork]

    /// Every peer of a host is a router it dials.
    init(_ configuration: PeerConfiguration, onHost: Bool) {
        name = configuration.name
        publicKey = configuration.publicKey
        allowedIPs = configuration.allowedIPs
        isRouter = onHost || configuration.isRouter
        dials = onHost || configuration.dials
        preference = configuration.preference
        presharedKey = configuration.presharedKey ?? .zero
        acceptedSources = configuration.allowedIPs
    }

    /// True when `address` lies in the peer's allowed-ips or one of its dynamic prefixes.
    @inline(__always)
    func allows(_ address: IPAddress) -> Bool {
        for network in acceptedSources where network.contains(address) { return true }
        return false
    }

    /// Monotonic time of the last packet received on any connection.
    var lastReceivedAnywhere: UInt64 {
        connections.reduce(0) { max($0, $1.lastReceived) }
    }
}
