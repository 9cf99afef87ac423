/// A router's lease replication with its router peers (PROTOCOL.md §14.4), in `show --json` under
/// `leases.sync`.
public struct LeaseSyncReport: Codable, Equatable, Sendable {
    /// This run's `boot` value (start time in ms, 32 bits) as the router peers see it.
    public var boot: UInt32 = 0
    /// Slice problems found since start (an overlap with ours, or a slice outside our pool).
    public var overlaps: UInt64 = 0
    /// Parts of our slice that overlap a router peer's: no new lease from them until fixed.
    public var blocked: [String] = []
    /// One entry per router peer.
    public var routers: [LeaseSyncPeerReport] = []

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case boot, overlaps, blocked, routers
    }
}

/// Replication with one router peer.
public struct LeaseSyncPeerReport: Codable, Equatable, Sendable {
    /// The router peer's name.
    public var name: String
    /// Its slice as it last announced it, or nil before its first message.
    public var slice: String?
    /// The slice problem its last message showed, or nil.
    public var problem: String?
    /// True once every part of its table arrived (since its last restart).
    public var tableReceived = false
    /// LEASE_SYNC messages sent to it and received from it.
    public var messagesSent: UInt64 = 0
    public var messagesReceived: UInt64 = 0
    /// Its records that changed our table, that the pool refused, that met another key's bound record.
    public var merged: UInt64 = 0
    public var refused: UInt64 = 0
    public var conflicts: UInt64 = 0
    /// Malformed LEASE_SYNC bodies from it.
    public var malformed: UInt64 = 0
    /// Its clock minus ours when its last message arrived (seconds).
    public var clockOffset: Int64 = 0

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, slice, problem, merged, refused, conflicts, malformed
        case tableReceived = "table_received", messagesSent = "messages_sent"
        case messagesReceived = "messages_received", clockOffset = "clock_offset"
    }
}

/// A host on several routers: whether each router accepts the host's address (issue 16 item 3).
public struct HostRouterLeaseReport: Codable, Equatable, Sendable {
    /// The router's name.
    public var name: String
    /// `current` (the lease comes from it), `accepted` (it granted the same address), `waiting` (asked, no
    /// answer yet), `differs` (it answered another address; asked again later), or `no-session`.
    public var state: String

    public init(name: String, state: String) { self.name = name; self.state = state }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, state
    }
}
