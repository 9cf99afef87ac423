import MLinkTypes

/// Per-peer counters, as `show` reports them.
public struct PeerCounters: Equatable {
    /// Data packets delivered (first copies).
    public var delivered: UInt64 = 0
    /// Copies dropped because another connection had delivered them.
    public var duplicates: UInt64 = 0
    /// Copies dropped as too old for the window.
    public var tooOld: UInt64 = 0
    /// Packets forwarded to another peer (router).
    public var forwarded: UInt64 = 0
    /// Inner packets whose source lies outside the peer's allowed-ips (router).
    public var sourceRejected: UInt64 = 0
    /// Packets for the peer dropped because no session or no connection existed yet.
    public var noPath: UInt64 = 0
    /// Inner packets sent to the peer (each counted once, whatever the number of copies).
    public var sent: UInt64 = 0
    /// Handshakes completed (host: responses accepted; router: sessions confirmed by the host's first packet).
    public var handshakes: UInt64 = 0
    /// Initiations answered from the cache (the same initiation arriving on another path, or resent).
    public var handshakeRepeats: UInt64 = 0
    /// Initiations refused because their timestamp was not newer than the last accepted one (a replay).
    public var replayedHandshakes: UInt64 = 0
    /// Authentic transport messages that came under a session past its reject-after time.
    public var expired: UInt64 = 0
    /// New authentic messages on a path the router would not learn (the peer's path limit is reached).
    public var pathsRefused: UInt64 = 0

    public init() {}
}

/// A peer and its bundle: the session shared by all connections, and the connections themselves.
public final class Peer {
    public let name: String
    public let publicKey: Key32
    public let allowedIPs: [IPNetwork]
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
    /// Monotonic time of the last completed handshake (0: never).
    public internal(set) var lastHandshake: UInt64 = 0

    init(_ configuration: PeerConfiguration) {
        name = configuration.name
        publicKey = configuration.publicKey
        allowedIPs = configuration.allowedIPs
        presharedKey = configuration.presharedKey ?? .zero
    }

    /// True when `address` lies in the peer's allowed-ips.
    @inline(__always)
    func allows(_ address: IPAddress) -> Bool {
        for network in allowedIPs where network.contains(address) { return true }
        return false
    }

    /// Monotonic time of the last packet received on any connection.
    var lastReceivedAnywhere: UInt64 {
        connections.reduce(0) { max($0, $1.lastReceived) }
    }
}
