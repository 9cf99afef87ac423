/// A peer's aggregate-mode counts in `show` (the `aggregate` list of the `policies` object; PROTOCOL.md section
/// 16): what this side striped and dropped by pacing as a sender, and what its reorder buffer did as a receiver.
public struct AggregateReport: Codable, Equatable, Sendable {
    public var peer: String
    /// Data packets sent striped (each on its earliest-arrival link).
    public var striped: UInt64
    /// Bulk packets dropped because every link that could take them carries real-time traffic and its queue
    /// estimate would pass 15 ms.
    public var pacingDrops: UInt64
    /// Received striped packets that overtook their predecessor, waited and were released in order.
    public var reorderWaited: UInt64
    /// Gaps given up (the wait or the packet bound ran out), and predecessors that came after that.
    public var reorderTimeouts: UInt64
    public var reorderLate: UInt64

    public init(peer: String, striped: UInt64, pacingDrops: UInt64, reorderWaited: UInt64, reorderTimeouts: UInt64,
                reorderLate: UInt64) {
        self.peer = peer
        self.striped = striped
        self.pacingDrops = pacingDrops
        self.reorderWaited = reorderWaited
        self.reorderTimeouts = reorderTimeouts
        self.reorderLate = reorderLate
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case peer, striped
        case pacingDrops = "pacing_drops", reorderWaited = "reorder_waited", reorderTimeouts = "reorder_timeouts"
        case reorderLate = "reorder_late"
    }
}
