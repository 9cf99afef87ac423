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
    /// Of `reorderTimeouts`, the gaps given up because the buffer was full (its bytes or its counter span), not
    /// because the wait ran out.
    public var reorderBound: UInt64
    /// Of `reorderTimeouts`, the gaps given up before their wait as losses: every path that carried striped
    /// packets had delivered a later counter.
    public var reorderLost: UInt64
    public var reorderLate: UInt64
    /// The reorder buffer's current wait (ms; 0 before the first striped packet arrived).
    public var reorderWaitMilliseconds: Double
    /// The sender's estimate per link it striped on.
    public var links: [AggregateLinkReport]

    public init(peer: String, striped: UInt64, pacingDrops: UInt64, reorderWaited: UInt64, reorderTimeouts: UInt64,
                reorderBound: UInt64 = 0, reorderLost: UInt64 = 0, reorderLate: UInt64, reorderWaitMilliseconds: Double = 0, links: [AggregateLinkReport] = []) {
        self.peer = peer
        self.striped = striped
        self.pacingDrops = pacingDrops
        self.reorderWaited = reorderWaited
        self.reorderTimeouts = reorderTimeouts
        self.reorderBound = reorderBound
        self.reorderLost = reorderLost
        self.reorderLate = reorderLate
        self.reorderWaitMilliseconds = reorderWaitMilliseconds
        self.links = links
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case peer, striped
        case pacingDrops = "pacing_drops", reorderWaited = "reorder_waited", reorderTimeouts = "reorder_timeouts"
        case reorderBound = "reorder_bound", reorderLost = "reorder_lost"
        case reorderLate = "reorder_late", reorderWaitMilliseconds = "reorder_wait_ms", links
    }
}

/// The aggregate sender's estimate for one host-side link (StripeScheduler, PROTOCOL.md section 16).
public struct AggregateLinkReport: Codable, Equatable, Sendable {
    /// The host-side link number.
    public var link: Int
    /// Estimated capacity and what the link carried over the last window (bit/s).
    public var capacityBitsPerSecond: Double
    public var rateBitsPerSecond: Double
    /// What the peer's FEEDBACK says the link delivered (bit/s; 0: no summary yet).
    public var deliveredBitsPerSecond: Double
    /// The queue the sender's model holds on the link now (ms at the estimated capacity), and its base one-way
    /// delay (ms).
    public var queueMilliseconds: Double
    public var delayMilliseconds: Double

    public init(link: Int, capacityBitsPerSecond: Double, rateBitsPerSecond: Double, deliveredBitsPerSecond: Double,
                queueMilliseconds: Double, delayMilliseconds: Double) {
        self.link = link
        self.capacityBitsPerSecond = capacityBitsPerSecond
        self.rateBitsPerSecond = rateBitsPerSecond
        self.deliveredBitsPerSecond = deliveredBitsPerSecond
        self.queueMilliseconds = queueMilliseconds
        self.delayMilliseconds = delayMilliseconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case link
        case capacityBitsPerSecond = "capacity_bps", rateBitsPerSecond = "rate_bps"
        case deliveredBitsPerSecond = "delivered_bps", queueMilliseconds = "queue_ms", delayMilliseconds = "delay_ms"
    }
}
