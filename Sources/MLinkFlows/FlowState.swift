/// One flow's entry in the `FlowTable`: what was seen and what the classifier concluded.
public struct FlowState: Sendable {
    public internal(set) var key: FlowKey
    public internal(set) var firstSeen: UInt64 = 0
    public internal(set) var lastSeen: UInt64 = 0
    public internal(set) var packets: UInt64 = 0
    public internal(set) var bytes: UInt64 = 0
    /// Smoothed inter-arrival time and its mean deviation (ns; gains 1/8 and 1/4, as TCP's SRTT and RTTVAR).
    public internal(set) var meanInterval: UInt64 = 0
    public internal(set) var intervalDeviation: UInt64 = 0
    /// Smoothed packet size (bytes, gain 1/8).
    public internal(set) var meanSize: UInt64 = 0
    /// The DSCP of the flow's latest packet.
    public internal(set) var dscp: UInt8 = 0
    public internal(set) var detected: Detections = []
    public internal(set) var trafficClass: TrafficClass = .unknown
    public internal(set) var reason: ClassReason = .none
    /// When the current class was decided: the flow's packet count then, and the time since `firstSeen` (ns).
    /// Both 0 while the flow is `unknown`.
    public internal(set) var decidedAtPacket: UInt64 = 0
    public internal(set) var decidedAfter: UInt64 = 0
    /// The packet count at which the flow was first given a live class (audio, video or interactive; 0: never),
    /// so a bulk flow that once looked like a call is seen even after it became bulk.
    public internal(set) var firstLivePacket: UInt64 = 0
    /// Bumped whenever the class or the detections change, so a cached rule match can be redone.
    public internal(set) var generation: UInt32 = 0
    /// The index of the policy rule that matched at `ruleGeneration` (the caller's cache; -1: not matched yet).
    public var rule: Int = -1
    public var ruleGeneration: UInt32 = .max
    /// The caller's per-flow plan cache (the engine: the host-side link an aggregate flow is pinned to; -1: none).
    public var pinnedLink: Int = -1

    // RTP: the SSRC being followed, its last sequence number and how many +1 steps in a row were seen.
    var rtpSSRC: UInt32 = 0
    var rtpSequence: UInt16 = 0
    var rtpSteps: UInt8 = 0
    /// Since when the flow has looked like bulk (0: it does not).
    var bulkSince: UInt64 = 0

    init(key: FlowKey) { self.key = key }

    /// Packets per second from the smoothed inter-arrival time (0 before the second packet).
    public var packetsPerSecond: UInt64 { meanInterval == 0 ? 0 : 1_000_000_000 / meanInterval }
}
