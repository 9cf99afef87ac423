import MLinkTypes

/// One `policies:` entry's `match:` (issue 15's contract): every given field must hold; an empty match matches all.
public struct FlowMatch: Equatable, Sendable {
    public var sources: [IPNetwork] = []
    public var destinations: [IPNetwork] = []
    /// Transport protocol numbers (6 tcp, 17 udp).
    public var protocols: [UInt8] = []
    /// Destination or source port ranges (either end of the flow may be the well-known one).
    public var ports: [ClosedRange<UInt16>] = []
    public var dscp: [UInt8] = []
    /// The flow matches when it shows any of these.
    public var detect: Detections = []
    /// The flow matches when its class is any of these (`class:` in a rule; `detect` is the header view).
    public var classes: [TrafficClass] = []

    public init() {}

    public func matches(_ flow: FlowState) -> Bool {
        let key = flow.key
        if !sources.isEmpty, !sources.contains(where: { $0.contains(key.source) }) { return false }
        if !destinations.isEmpty, !destinations.contains(where: { $0.contains(key.destination) }) { return false }
        if !protocols.isEmpty, !protocols.contains(key.proto) { return false }
        if !ports.isEmpty, !ports.contains(where: { $0.contains(key.destinationPort) || $0.contains(key.sourcePort) }) {
            return false
        }
        if !dscp.isEmpty, !dscp.contains(flow.dscp) { return false }
        if !detect.isEmpty, flow.detected.isDisjoint(with: detect) { return false }
        if !classes.isEmpty, !classes.contains(flow.trafficClass) { return false }
        return true
    }
}

/// The ordered rules: the first whose match holds wins. The answer is cached in the flow and redone only when the
/// flow's classification changed (`FlowState.generation`), so a steady flow costs one comparison per packet. The
/// cache lives in the table's entries, so a table is matched against one rule set (build a new table when the
/// rules change).
public struct FlowRuleSet: Sendable {
    public var matches: [FlowMatch]

    public init(_ matches: [FlowMatch]) { self.matches = matches }

    /// The index of the first matching rule for `table.entries[slot]`, or nil; caches it in the entry.
    public func rule(for slot: Int, in table: FlowTable) -> Int? {
        let flow = table.entries[slot]
        if flow.ruleGeneration == flow.generation { return flow.rule < 0 ? nil : flow.rule }
        let index = matches.firstIndex { $0.matches(flow) } ?? -1
        table.cacheRule(index, at: slot)
        return index < 0 ? nil : index
    }
}

extension FlowTable {
    func cacheRule(_ rule: Int, at slot: Int) {
        updateEntry(slot) {
            $0.rule = rule
            $0.ruleGeneration = $0.generation
        }
    }
}
