import MLinkFlows
import MLinkTypes

/// How a class of traffic is carried (the profile's `mode`, for the default rule or one `policies` entry).
public enum PolicyMode: String, Sendable, CaseIterable {
    /// Copies on every link (at most `copies`).
    case redundant
    /// All data on the best link of the highest role.
    case failover
    /// One link by expected arrival, plus the cheapest protection that meets `target-loss`: none, parity on
    /// another link, or duplication on the best two; escalated at once on trouble (FlowPolicy+Adaptive.swift).
    case adaptive
    /// Bulk: each flow pinned to one live link, flows spread over the links (no per-packet striping).
    case aggregate
}

/// One `policies` entry as the engine applies it.
public struct FlowPolicy: Sendable {
    public var name: String
    public var match: FlowMatch
    public var mode: PolicyMode
    /// Redundant: at most this many copies (0: one per link).
    public var copies: Int
    /// Adaptive: the largest share of extra bytes protection may cost (0.3 = 30%).
    public var maximumOverhead: Double

    public init(name: String, match: FlowMatch = FlowMatch(), mode: PolicyMode, copies: Int = 0,
                maximumOverhead: Double = 0.5) {
        self.name = name
        self.match = match
        self.mode = mode
        self.copies = copies
        self.maximumOverhead = maximumOverhead
    }
}

/// Per-flow policies: the ordered rules, the default, and the targets adaptive mode plans for.
public struct PolicySettings: Sendable {
    /// First match wins; a flow no rule matches takes `defaultPolicy`.
    public var policies: [FlowPolicy]
    public var defaultPolicy: FlowPolicy
    /// Adaptive: a copy arriving later than this is as good as lost (ns).
    public var deadline: UInt64
    /// Adaptive: the residual loss protection aims at (0.001 = 0.1%).
    public var targetLoss: Double

    public init(policies: [FlowPolicy], defaultPolicy: FlowPolicy, deadline: UInt64 = 150_000_000,
                targetLoss: Double = 0.001) {
        self.policies = policies
        self.defaultPolicy = defaultPolicy
        self.deadline = deadline
        self.targetLoss = targetLoss
    }

    /// The policy at `index` in `policies`, `policies.count` meaning the default.
    @inline(__always)
    public func policy(_ index: Int) -> FlowPolicy { index < policies.count ? policies[index] : defaultPolicy }
}

/// Bytes and packets one policy's traffic cost, by purpose: what `show` reports as the savings per class.
public struct PolicyCounts: Sendable, Equatable {
    public var packets: UInt64 = 0
    /// Bytes on the wire of first copies, of further copies, and of this class's share of parity (estimated as
    /// the protected packets' bytes / k).
    public var dataBytes: UInt64 = 0
    public var duplicateBytes: UInt64 = 0
    public var parityBytes: UInt64 = 0
    /// Bytes on the wire of this class's packets sent again: cross-link repairs of NACKed packets, and replays
    /// on the new link after a takeover or an escalation.
    public var repairBytes: UInt64 = 0
    public var replayBytes: UInt64 = 0
    public init() {}
}
