/// Per-flow policies in `show` (the `policies` object of `show --json`): what each class cost, the live flows with
/// their class, the reason and the policy carrying them, and each peer's adaptive plan.
public struct PolicyStatus: Codable, Equatable, Sendable {
    public var classes: [PolicyUsageReport] = []
    /// The most recently active flows (at most 32).
    public var flows: [FlowReport] = []
    /// Adaptive mode's plan per peer (empty without adaptive rules).
    public var adaptive: [AdaptiveReport] = []
    /// Aggregate mode's striping, pacing and reordering per peer (empty until a peer stripes or receives striped
    /// packets; AggregateReport.swift).
    public var aggregate: [AggregateReport] = []

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case classes, flows, adaptive, aggregate }
}

/// One policy's traffic: data packets sent and the wire bytes of first copies, further copies and parity.
public struct PolicyUsageReport: Codable, Equatable, Sendable {
    public var name: String
    public var packets: UInt64
    public var dataBytes: UInt64
    public var duplicateBytes: UInt64
    public var parityBytes: UInt64
    /// Bytes of the class's packets sent again: cross-link repairs, and replays after a takeover or escalation.
    public var repairBytes: UInt64
    public var replayBytes: UInt64

    public init(name: String, packets: UInt64, dataBytes: UInt64, duplicateBytes: UInt64, parityBytes: UInt64,
                repairBytes: UInt64 = 0, replayBytes: UInt64 = 0) {
        self.name = name
        self.packets = packets
        self.dataBytes = dataBytes
        self.duplicateBytes = duplicateBytes
        self.parityBytes = parityBytes
        self.repairBytes = repairBytes
        self.replayBytes = replayBytes
    }

    /// The bytes spent beyond the first copies: further copies, parity, repairs and replays.
    public var extraBytes: UInt64 { duplicateBytes + parityBytes + repairBytes + replayBytes }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, packets
        case dataBytes = "data_bytes", duplicateBytes = "duplicate_bytes", parityBytes = "parity_bytes"
        case repairBytes = "repair_bytes", replayBytes = "replay_bytes"
    }
}

/// One live flow as the classifier sees it.
public struct FlowReport: Codable, Equatable, Sendable {
    /// `udp 10.77.0.10:40000 > 10.77.0.20:5004`.
    public var flow: String
    /// `rt-audio`, `bulk`, ...
    public var trafficClass: String
    /// Which classifier step decided: `dscp`, `header`, `behaviour`, `port` or `none`.
    public var reason: String
    /// What the header checks found, e.g. `stun+dtls+rtp+webrtc` (empty: nothing).
    public var detected: String
    public var policy: String
    public var packets: UInt64
    public var bytes: UInt64
    public var packetsPerSecond: UInt64
    /// Seconds since its last packet.
    public var idle: Double
    /// When the current class was decided: at which of the flow's packets, and how long after its first (ms);
    /// 0 and 0 while it is `unknown`.
    public var decidedAtPacket: UInt64
    public var decidedAfter: Double
    /// The packet at which the flow was first given a live class (audio, video, interactive); 0: never.
    public var firstLivePacket: UInt64

    public init(flow: String, trafficClass: String, reason: String, detected: String, policy: String, packets: UInt64,
                bytes: UInt64, packetsPerSecond: UInt64, idle: Double, decidedAtPacket: UInt64 = 0,
                decidedAfter: Double = 0, firstLivePacket: UInt64 = 0) {
        self.flow = flow
        self.trafficClass = trafficClass
        self.reason = reason
        self.detected = detected
        self.policy = policy
        self.packets = packets
        self.bytes = bytes
        self.packetsPerSecond = packetsPerSecond
        self.idle = idle
        self.decidedAtPacket = decidedAtPacket
        self.decidedAfter = decidedAfter
        self.firstLivePacket = firstLivePacket
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case flow, reason, detected, policy, packets, bytes
        case trafficClass = "class", packetsPerSecond = "packets_per_second", idle = "idle_s"
        case decidedAtPacket = "decided_at_packet", decidedAfter = "decided_after_ms", firstLivePacket = "first_live_packet"
    }
}

/// A peer's adaptive plan: the protection level, the link carrying data and the parity's size and link.
public struct AdaptiveReport: Codable, Equatable, Sendable {
    public var peer: String
    /// `single`, `parity` or `duplicate`.
    public var level: String
    /// Host-side link numbers (-1: none).
    public var primaryLink: Int
    public var parityK: Int
    public var parityLink: Int
    /// How often the plan changed.
    public var changes: UInt64
    /// Why the planner chose the level, with its figures (loss, loss runs, repair time).
    public var reason: String

    public init(peer: String, level: String, primaryLink: Int, parityK: Int, parityLink: Int, changes: UInt64,
                reason: String = "") {
        self.peer = peer
        self.level = level
        self.primaryLink = primaryLink
        self.parityK = parityK
        self.parityLink = parityLink
        self.changes = changes
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case peer, level, changes, reason
        case primaryLink = "primary_link", parityK = "parity_k", parityLink = "parity_link"
    }
}
