/// Counters and measurements of one connection, as `show` reports them.
public struct PathStatistics: Equatable {
    public var txPackets: UInt64 = 0
    public var txBytes: UInt64 = 0
    public var rxPackets: UInt64 = 0
    public var rxBytes: UInt64 = 0
    /// Data packets this connection delivered first (the copy that won).
    public var deliveredFirst: UInt64 = 0
    /// Data packets that arrived here after another connection had delivered them.
    public var duplicates: UInt64 = 0
    /// Copies that arrived too late for the window.
    public var tooOld: UInt64 = 0
    /// Sends the kernel refused or dropped because the link's queue was full.
    public var sendDrops: UInt64 = 0
    /// Path sequence numbers never seen (gaps), an estimate of loss on this path towards us.
    public var lostEstimate: UInt64 = 0
    /// Highest path sequence number received.
    public var highestSequence: UInt32 = 0
    /// Smoothed round-trip time in nanoseconds (0 until measured).
    public var smoothedRTT: UInt64 = 0
    /// Round-trip time variation in nanoseconds (RFC 6298 style).
    public var rttVariation: UInt64 = 0
    /// Probes sent and probe replies received, for the loss ratio of the probe stream.
    public var probesSent: UInt64 = 0
    public var probeRepliesReceived: UInt64 = 0
    /// True once a path sequence number was observed (`rxPackets` also counts hellos, which carry none).
    public private(set) var sequenceObserved = false

    public init() {}

    /// Folds a new round-trip sample in (RFC 6298: alpha 1/8, beta 1/4).
    public mutating func addRTTSample(_ sample: UInt64) {
        if smoothedRTT == 0 {
            smoothedRTT = sample
            rttVariation = sample / 2
        } else {
            let difference = sample > smoothedRTT ? sample - smoothedRTT : smoothedRTT - sample
            rttVariation = (3 * rttVariation + difference) / 4
            smoothedRTT = (7 * smoothedRTT + sample) / 8
        }
    }

    /// Records an arriving path sequence number and counts the gap before it as lost.
    public mutating func observeSequence(_ sequence: UInt32) {
        if !sequenceObserved || sequence &- highestSequence < 0x8000_0000 {
            let gap = sequenceObserved ? sequence &- highestSequence : 0
            sequenceObserved = true
            if gap > 1 { lostEstimate += UInt64(gap - 1) }
            highestSequence = sequence
        } else if lostEstimate > 0 {
            lostEstimate -= 1  // a late packet filled an earlier gap: reordered, not lost
        }
    }
}
