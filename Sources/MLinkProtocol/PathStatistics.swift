import MLinkControl

/// What a datagram on a path was for, in the by-purpose accounting of `show` and the metrics.
public enum TrafficPurpose {
    /// The first copy of an inner packet (on receive: the copy that delivered it).
    case data
    /// A further copy (on receive: a copy that lost the race or came too late).
    case duplicate
    case probe
    /// Handshakes, control messages, feedback.
    case control
    /// A data packet sent again on another link after a takeover (send side only).
    case replay
    /// Parity messages (PROTOCOL.md section 15).
    case parity
}

/// Counters and measurements of one connection, as `show` reports them.
public struct PathStatistics: Equatable {
    public var txPackets: UInt64 = 0
    public var txBytes: UInt64 = 0
    /// The same traffic by purpose (only `ConnectionCounts.trafficKeyPaths` are used).
    public var traffic = ConnectionCounts()
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
    /// Share of recent packets lost on the way to us (exponential average over about 32 packets, 0...1).
    public var recentLoss: Double = 0
    /// Packets that arrived behind a later path sequence number (reordered on the way to us).
    public var reordered: UInt64 = 0
    /// One-way delay trend per direction (ns): smoothed delay above the lowest seen. Clocks of the two ends
    /// differ by an unknown offset, which cancels out of "above the lowest", so the trend is exact where the
    /// absolute one-way delay is not. `forward`: our probes to the peer; `reverse`: the peer's replies to us.
    public var forwardDelayTrend: UInt64 = 0
    public var reverseDelayTrend: UInt64 = 0
    /// How far the forward delay has just risen (ns): a fast average (gain 1/4) of the forward delay above a slow
    /// one (gain 1/64), 0 when falling. Jitter moves the fast average by a few ms (8 ms of normal jitter: 3 ms
    /// when the samples are independent, more when probes come faster than the jitter changes), a step of the
    /// delay moves it at once and the slow one only over tens of samples. Unlike the trend above the lowest, it is
    /// not raised by jitter itself (the lowest of many jittered samples lies ~2.5 deviations low).
    public var forwardDelayRise: UInt64 { UInt64(max(0, forwardFast &- forwardSlow)) }
    /// How far the fast average strays from the slow one with jitter alone (ns): the mean of |fast - slow|,
    /// gain 1/64. A rise is a jump only when it is far beyond this (`isDelayJump`).
    public var forwardRiseDeviation: UInt64 { UInt64(max(0, strayDeviation)) }
    private var forwardFast: Int64 = 0, forwardSlow: Int64 = 0, strayDeviation: Int64 = 0, delaySamples = 0

    /// True when the forward delay rose by `threshold` or more and by five times what jitter alone moves it:
    /// with the lab's 8 ms of jitter sampled every probe round the fast average strays by ~5 ms, and reached
    /// the 20 ms threshold itself a few times a minute.
    public func isDelayJump(threshold: UInt64) -> Bool {
        let rise = forwardDelayRise
        return rise >= threshold && rise >= 5 * forwardRiseDeviation
    }
    private var forwardBase: Int64 = .max, forwardSmoothed: Int64 = 0
    private var reverseBase: Int64 = .max, reverseSmoothed: Int64 = 0
    /// The probe interval the other end announced (ns; 0: none yet). A router, which sends no probes of its
    /// own, times its liveness decisions with it.
    public var peerProbeInterval: UInt64 = 0
    /// True once a path sequence number was observed (`rxPackets` also counts handshake responses, which carry none).
    public private(set) var sequenceObserved = false

    public init() {}

    /// Counts a datagram of `bytes` bytes sent for `purpose` (also in the totals).
    @inline(__always)
    public mutating func recordTransmit(_ purpose: TrafficPurpose, bytes: Int) {
        let n = UInt64(bytes)
        txPackets &+= 1
        txBytes &+= n
        switch purpose {
        case .data: traffic.txDataPackets &+= 1; traffic.txDataBytes &+= n
        case .duplicate: traffic.txDuplicatePackets &+= 1; traffic.txDuplicateBytes &+= n
        case .probe: traffic.txProbePackets &+= 1; traffic.txProbeBytes &+= n
        case .control: traffic.txControlPackets &+= 1; traffic.txControlBytes &+= n
        case .replay: traffic.txReplayPackets &+= 1; traffic.txReplayBytes &+= n
        case .parity: traffic.txParityPackets &+= 1; traffic.txParityBytes &+= n
        }
    }

    /// Counts an authentic datagram of `bytes` bytes received for `purpose` (the totals count elsewhere: they
    /// include copies that prove nothing about the path).
    @inline(__always)
    public mutating func recordReceive(_ purpose: TrafficPurpose, bytes: Int) {
        let n = UInt64(bytes)
        switch purpose {
        case .data: traffic.rxDataPackets &+= 1; traffic.rxDataBytes &+= n
        case .duplicate: traffic.rxDuplicatePackets &+= 1; traffic.rxDuplicateBytes &+= n
        case .probe: traffic.rxProbePackets &+= 1; traffic.rxProbeBytes &+= n
        case .control, .replay: traffic.rxControlPackets &+= 1; traffic.rxControlBytes &+= n
        case .parity: traffic.rxParityPackets &+= 1; traffic.rxParityBytes &+= n
        }
    }

    /// Folds a new round-trip sample in (RFC 6298: alpha 1/8, beta 1/4).
    public mutating func addRTTSample(_ sample: UInt64) {
        rttSamples &+= 1
        if smoothedRTT == 0 {
            smoothedRTT = sample
            rttVariation = sample / 2
        } else {
            let difference = sample > smoothedRTT ? sample - smoothedRTT : smoothedRTT - sample
            rttVariation = (3 * rttVariation + difference) / 4
            smoothedRTT = (7 * smoothedRTT + sample) / 8
        }
    }

    /// Folds in one probe round's one-way delays as measured by two unsynchronized clocks: `forward` = the
    /// peer's clock at reply minus ours at request, `reverse` = ours at arrival minus the peer's at reply.
    public mutating func addDelaySamples(forward: Int64, reverse: Int64) {
        forwardBase = min(forwardBase, forward)
        reverseBase = min(reverseBase, reverse)
        // Wrapping arithmetic: the peer's clock is its own, and no value of it may trap.
        let f = forward &- forwardBase, r = reverse &- reverseBase
        forwardSmoothed = forwardSmoothed &+ (f &- forwardSmoothed) / 8
        reverseSmoothed = reverseSmoothed &+ (r &- reverseSmoothed) / 8
        forwardDelayTrend = UInt64(max(0, forwardSmoothed))
        reverseDelayTrend = UInt64(max(0, reverseSmoothed))
        if delaySamples == 0 {
            forwardFast = forward
            forwardSlow = forward
        } else {
            // The slow average and the deviation are plain means over the first 64 samples (gain 1/n), so the
            // first sample's jitter does not stand as the baseline for a minute.
            let slowGain = Int64(min(delaySamples + 1, 64))
            forwardFast = forwardFast &+ (forward &- forwardFast) / 4
            forwardSlow = forwardSlow &+ (forward &- forwardSlow) / slowGain
            let stray = forwardFast &- forwardSlow
            let magnitude = stray < 0 ? 0 &- stray : stray  // wrapping, as above
            strayDeviation = strayDeviation &+ (magnitude &- strayDeviation) / slowGain
        }
        delaySamples = min(delaySamples + 1, 64)
    }

    /// True when `sequence` is ahead of the highest path sequence seen (modulo 2^32). A copy whose counter this
    /// path already carried (a replay or a repair of an older packet, PROTOCOL.md section 14.3) but whose path
    /// sequence is new was sent on the path now: the copy tag authenticates the sequence, so it proves the path
    /// alive and its sequence counts for the path's loss. A recorded copy sent again carries an old sequence.
    /// (Counting only counters above the path's highest made each replayed packet a gap: the lab's router saw
    /// 14% loss on the backup at a takeover and kept its replies on the cut primary for 700 ms.)
    @inline(__always)
    func isAhead(_ sequence: UInt32) -> Bool {
        sequenceObserved && sequence != highestSequence && sequence &- highestSequence < 0x8000_0000
    }

    /// True when `sequence` is a gap of the last `sequenceHistory` path sequences that nothing filled yet: a copy
    /// reordered on its own path behind a later one. It was sent on the path and arrived, so it counts as received
    /// and fills its gap; a recorded copy sent again finds its sequence seen and counts nothing.
    @inline(__always)
    func isUnseenGap(_ sequence: UInt32) -> Bool {
        let behind = highestSequence &- sequence
        return sequenceObserved && behind > 0 && behind < PathStatistics.sequenceHistory && seenBehind & (1 << behind) == 0
    }

    /// True when the path delivers in the order it sends: under 1 in 1024 of its recent datagrams (an average
    /// over about 256) arrived behind a later one. Only then does a gap in its path sequences say the datagrams in
    /// it were lost, so the receiver may NACK them at once (`TunnelEngine.nearAllowance`); on a path that
    /// reorders, each early NACK of a datagram still on its way costs a needless repair. (The lab's emulated
    /// links keep their order; the fake network's jittered wires reorder 3-4% of the datagrams.)
    public var keepsOrder: Bool { recentReorder < 1.0 / 1024 }
    /// The share of recent datagrams that arrived behind a later path sequence (gain 1/256).
    private var recentReorder = 0.0
    /// Round-trip samples taken (`addRTTSample`).
    public private(set) var rttSamples: UInt64 = 0

    /// The path sequences behind the highest whose arrival is remembered (`isUnseenGap`).
    static let sequenceHistory: UInt32 = 64
    /// Bit n: the path sequence `highestSequence - n` arrived (bit 0, the highest itself, always set).
    private var seenBehind: UInt64 = 0

    /// Records an arriving path sequence number and counts the gap before it as lost.
    public mutating func observeSequence(_ sequence: UInt32) {
        if !sequenceObserved || sequence &- highestSequence < 0x8000_0000 {
            let gap = sequenceObserved ? sequence &- highestSequence : 0
            sequenceObserved = true
            if gap > 1 { lostEstimate &+= UInt64(gap - 1) }  // wrapping: the peer chooses the gaps
            for _ in 1..<max(1, min(gap, 64)) { recentLoss += (1 - recentLoss) / 32 }
            recentLoss -= recentLoss / 32
            recentReorder -= recentReorder / 256
            highestSequence = sequence
            seenBehind = (gap < 64 ? seenBehind << gap : 0) | 1
        } else {
            let behind = highestSequence &- sequence
            if behind < PathStatistics.sequenceHistory {
                guard seenBehind & (1 << behind) == 0 else { return }  // seen already: counted once
                seenBehind |= 1 << behind
                // Undo the loss its gap added to the recent average, as it decayed since (about one packet per
                // sequence behind).
                recentLoss = max(0, recentLoss - pow(31.0 / 32, Int(behind)) / 32)
            }
            reordered += 1
            recentReorder += (1 - recentReorder) / 256
            if lostEstimate > 0 { lostEstimate -= 1 }  // a late packet filled an earlier gap: reordered, not lost
        }
    }
}
