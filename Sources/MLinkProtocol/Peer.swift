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
    /// Hello exchanges completed.
    public var handshakes: UInt64 = 0

    public init() {}
}

/// A peer and its bundle: the session shared by all connections, and the connections themselves.
public final class Peer {
    public let name: String
    public let publicKey: Key32
    public let allowedIPs: [IPNetwork]
    /// The current session.
    public internal(set) var session: Session?
    /// The session before the last hello, still accepted on receive so packets in flight are not lost.
    var previousSession: Session?
    /// Host side: our index offered in the hello we are waiting an answer for.
    var pendingIndex: UInt32?
    /// Host side: timestamp of the pending hello.
    var pendingTimestamp: UInt64 = 0
    /// The bundle.
    public internal(set) var connections: [Connection] = []
    public internal(set) var counters = PeerCounters()
    /// Monotonic time of the last completed hello exchange (0: never).
    public internal(set) var lastHandshake: UInt64 = 0

    init(_ configuration: PeerConfiguration) {
        name = configuration.name
        publicKey = configuration.publicKey
        allowedIPs = configuration.allowedIPs
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
