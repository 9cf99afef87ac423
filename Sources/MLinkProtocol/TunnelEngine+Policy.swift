import MLinkControl
import MLinkFlows
import MLinkTypes

/// Per-flow policies (issue 15): the flow table classifies every data packet, the first matching `policies` rule
/// (or the default) says how its class is carried, and the copy planning of Bundle.swift does the rest.
///
/// Without policies (no `policies`, mode redundant or failover) none of this runs: no flow table, no lookup.
///
/// Adaptive mode, per peer and re-decided every tick (the data path only reads the decision):
///   1. candidates: each host-side link's best connection that is live and not `never`; its expected arrival is
///      SRTT/2 + 2 RTTVAR (one-way delay and jitter), and links slower than `deadline` drop out unless none is
///      left;
///   2. the primary is the candidate with the earliest arrival;
///   3. protection, the cheapest that meets `target-loss` with the primary's loss p and the next link's loss q:
///      none (p <= target), else XOR parity on the next link with the largest k in 16, 8, 4, 2 whose residual loss
///      p x (1 - (1-p)^(k-1) x (1-q)) meets the target and whose overhead 1/k is within `max-overhead`, else
///      duplication on the best two (residual p x q); with one link, parity on it under the same rule;
///      k counts only as far as the packets that arrive within a block's delay (a third of the deadline, at most
///      50 ms, at the measured rate to the peer): at 100 packets/s a block holds 5;
///   4. escalation is immediate (a primary that degrades or falls silent means duplication at once); de-escalation
///      is one step per `adaptiveHold`, and protection that is on stays on until the loss is under half the
///      target, so a noisy measurement cannot make the plan flap.
/// A flow whose class is still `unknown` (its first packets) is duplicated: it may be the start of a call.
///
/// Loss here is the path's loss as this side measures it (path-sequence gaps of what it receives on that path),
/// a stand-in for the sender-side loss that receiver feedback will give.
extension TunnelEngine {
    /// What the data path does with one packet.
    struct PacketPlan {
        var mode: BundleMode
        var copies: Int
        /// Adds the packet to the peer's parity block.
        var protect: Bool
        /// Index into `policyCounts` (policies.count: the default), -1 without policies.
        var policy: Int
        /// Keep only the copy on this host-side link (-1: as planned).
        var pinnedLink: Int
    }

    /// How long adaptive mode keeps a protection level before it may step down (ns).
    static let adaptiveHold: UInt64 = 2_000_000_000

    /// How long a parity block may wait for its packets: a third of the deadline, at most 50 ms, so a rebuilt
    /// packet still arrives in time (ns).
    static func parityDelay(_ deadline: UInt64) -> UInt64 { min(deadline / 3, 50_000_000) }

    /// Turns policies on (or off with nil): builds the flow table and the rules.
    public func setPolicies(_ settings: PolicySettings?) {
        policySettings = settings
        guard let settings else {
            flowTable = nil
            return
        }
        flowTable = FlowTable(capacity: 4096, seed: UInt64(randomSource()) << 32 | UInt64(randomSource()))
        flowRules = FlowRuleSet(settings.policies.map(\.match))
        policyCounts = [PolicyCounts](repeating: PolicyCounts(), count: settings.policies.count + 1)
        usesFailover = settings.policies.contains { $0.mode == .failover } || settings.defaultPolicy.mode == .failover
        usesAdaptive = settings.policies.contains { $0.mode == .adaptive } || settings.defaultPolicy.mode == .adaptive
    }

    /// The live flows, their class and the policy that carries them (for `show`; allocates).
    public func activeFlows(now: UInt64) -> [(flow: FlowState, policy: String)] {
        guard let flowTable, let policySettings else { return [] }
        return flowTable.activeFlows(now: now).map { flow in
            let index = flow.rule >= 0 ? flow.rule : policySettings.policies.count
            return (flow, policySettings.policy(index).name)
        }
    }

    /// True when some rule (or the default) is adaptive: the peers' `adaptive` plans mean something.
    public var usesAdaptivePolicies: Bool { usesAdaptive }

    /// What each policy's traffic cost so far, by name, the default last.
    public var policyUsage: [(name: String, counts: PolicyCounts)] {
        guard let policySettings else { return [] }
        return policyCounts.indices.map { (policySettings.policy($0).name, policyCounts[$0]) }
    }

    /// The plan for a data packet of `length` bytes at `packet` going to `peer`.
    @inline(__always)
    func plan(data packet: UnsafeRawPointer, length: Int, peer: Peer, now: UInt64) -> PacketPlan {
        guard let flowTable, let policySettings else {
            return PacketPlan(mode: peer.modeOverride ?? configuration.mode, copies: peer.copiesOverride ?? configuration.copies,
                              protect: true, policy: -1, pinnedLink: -1)
        }
        guard let slot = flowTable.observe(packet, length: length, now: now) else {
            return planFor(policySettings.defaultPolicy, index: policySettings.policies.count, peer: peer,
                           flowSlot: nil, unknown: false)
        }
        let index = flowRules.rule(for: slot, in: flowTable) ?? policySettings.policies.count
        return planFor(policySettings.policy(index), index: index, peer: peer, flowSlot: slot,
                       unknown: flowTable.entries[slot].trafficClass == .unknown)
    }

    @inline(__always)
    private func planFor(_ policy: FlowPolicy, index: Int, peer: Peer, flowSlot: Int?, unknown: Bool) -> PacketPlan {
        switch policy.mode {
        case .redundant:
            return PacketPlan(mode: .redundant, copies: policy.copies, protect: false, policy: index, pinnedLink: -1)
        case .failover:
            return PacketPlan(mode: .failover, copies: 0, protect: false, policy: index, pinnedLink: -1)
        case .adaptive:
            let adaptive = peer.adaptive
            if unknown || adaptive.level == .duplicate || adaptive.primaryLink < 0 {
                return PacketPlan(mode: .redundant, copies: 2, protect: false, policy: index, pinnedLink: -1)
            }
            return PacketPlan(mode: .redundant, copies: 0, protect: adaptive.level == .parity, policy: index,
                              pinnedLink: adaptive.primaryLink)
        case .aggregate:
            return PacketPlan(mode: .redundant, copies: 0, protect: false, policy: index,
                              pinnedLink: flowSlot.map { pinnedLink(ofFlow: $0, peer: peer) } ?? -1)
        }
    }

    /// The link an aggregate flow stays on: chosen once among the live links by the flow's slot, chosen again only
    /// when that link stops being live.
    private func pinnedLink(ofFlow slot: Int, peer: Peer) -> Int {
        guard let flowTable else { return -1 }
        let current = flowTable.entries[slot].pinnedLink
        if current >= 0, peer.isLinkLive(current, isRouter: !peer.dials) { return current }
        let links = peer.liveLinks(isRouter: !peer.dials, into: &linkScratch)
        guard links > 0 else { return -1 }
        let chosen = linkScratch[slot % links]
        flowTable.updateEntry(slot) { $0.pinnedLink = chosen }
        return chosen
    }

    /// Counts a sent data packet against its policy.
    @inline(__always)
    func countPolicy(_ plan: PacketPlan, datagramLength: Int, copies: Int, parityK: Int) {
        guard plan.policy >= 0 else { return }
        policyCounts[plan.policy].packets += 1
        policyCounts[plan.policy].dataBytes += UInt64(datagramLength)
        policyCounts[plan.policy].duplicateBytes += UInt64(datagramLength * (copies - 1))
        if plan.protect, parityK > 0 { policyCounts[plan.policy].parityBytes += UInt64(datagramLength / parityK) }
    }

    // MARK: Adaptive planning (every tick)

    /// Re-decides `peer`'s adaptive plan: primary link, protection level, parity k and link.
    func updateAdaptive(_ peer: Peer, peerIndex: Int, now: UInt64) {
        guard let policySettings else { return }
        // The data rate to the peer (packets/s), smoothed over about a second of ticks.
        if peer.adaptiveRateAt != 0, now > peer.adaptiveRateAt {
            let sent = Double(peer.counters.sent &- peer.adaptiveRateSent)
            let instant = sent * 1e9 / Double(now - peer.adaptiveRateAt)
            let gain = min(1, Double(now - peer.adaptiveRateAt) / 1e9)
            peer.adaptiveRate += (instant - peer.adaptiveRate) * gain
        }
        peer.adaptiveRateAt = now
        peer.adaptiveRateSent = peer.counters.sent
        var plan = peer.adaptive
        let candidates = peer.adaptiveCandidates(isRouter: !peer.dials, deadline: policySettings.deadline, into: &linkScratch)
        guard candidates > 0 else {
            if plan.level != .duplicate || plan.primaryLink != -1 {
                plan = AdaptivePlan(level: .duplicate, primaryLink: -1, since: now)
                applyAdaptive(plan, to: peer, peerIndex: peerIndex)
            }
            return
        }
        let primary = linkScratch[0], next = candidates > 1 ? linkScratch[1] : -1
        let p = peer.linkLoss(primary, isRouter: !peer.dials), q = next >= 0 ? peer.linkLoss(next, isRouter: !peer.dials) : p
        let target = policySettings.targetLoss
        let maximumOverhead = peer.adaptiveOverheadLimit(policySettings)
        var wanted = AdaptivePlan(level: .single, primaryLink: primary, since: now)
        // Hysteresis: protection that is on stays on until the loss is well under the target (the loss estimate
        // is noisy; a plan that flips to "none" loses packets at the full rate while it is wrong).
        let threshold = plan.level == .single ? target : target / 2
        // A block cannot hold more packets than arrive within its delay: that k is what the residual is worth.
        let rate = peer.adaptiveRate
        if !peer.isLinkUp(primary, isRouter: !peer.dials), next >= 0 {
            wanted.level = .duplicate  // trouble on the primary: duplicate at once
        } else if p > threshold {
            wanted.level = .duplicate
            let fill = max(2, Int(rate * Double(TunnelEngine.parityDelay(policySettings.deadline)) / 1e9))
            for k in [16, 8, 4, 2] where 1.0 / Double(min(k, fill)) <= maximumOverhead {
                let effective = min(k, fill)
                let residual = p * (1 - pow(1 - p, effective - 1) * (1 - q))
                if residual <= target || (next < 0 && k == 2) {
                    wanted.level = .parity
                    wanted.parityK = k
                    wanted.parityLink = next >= 0 ? next : primary
                    break
                }
            }
            if wanted.level == .duplicate, next < 0 { wanted.level = .single }  // nothing to duplicate on
        }
        let escalates = wanted.level > plan.level || (wanted.level == .parity && wanted.parityK < plan.parityK)
        let linkChanged = wanted.primaryLink != plan.primaryLink || wanted.parityLink != plan.parityLink
        if escalates || linkChanged || plan.primaryLink < 0 {
            applyAdaptive(wanted, to: peer, peerIndex: peerIndex)
        } else if wanted.level < plan.level || wanted.parityK > plan.parityK, now &- plan.since >= TunnelEngine.adaptiveHold {
            // One step down: duplicate -> parity (the wanted k, or 2) -> single.
            var step = wanted
            if plan.level == .duplicate && wanted.level == .single {
                step.level = .parity
                step.parityK = 4
                step.parityLink = next >= 0 ? next : primary
            }
            applyAdaptive(step, to: peer, peerIndex: peerIndex)
        }
    }

    private func applyAdaptive(_ plan: AdaptivePlan, to peer: Peer, peerIndex: Int) {
        let previous = peer.adaptive
        peer.adaptive = plan
        peer.adaptiveChanges += 1
        if plan.level == .parity {
            if previous.level != .parity || previous.parityK != plan.parityK || peer.paritySender == nil {
                setParity(peer: peerIndex, k: plan.parityK, m: 1,
                          maximumDelay: TunnelEngine.parityDelay(policySettings?.deadline ?? 150_000_000))
            }
            peer.parityLink = plan.parityLink
        } else {
            setParity(peer: peerIndex, k: nil)
            peer.parityLink = -1
        }
    }
}

/// A peer's adaptive decision (TunnelEngine+Policy.swift).
public struct AdaptivePlan: Sendable, Equatable {
    public enum Level: Int, Comparable, Sendable {
        case single = 0, parity = 1, duplicate = 2
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }
    public var level: Level = .duplicate
    /// The host-side link carrying the data (-1: none chosen).
    public var primaryLink = -1
    /// Parity: the block size and the link the parity goes on.
    public var parityK = 0
    public var parityLink = -1
    /// When this plan was made.
    public var since: UInt64 = 0

    public init(level: Level = .duplicate, primaryLink: Int = -1, since: UInt64 = 0) {
        self.level = level
        self.primaryLink = primaryLink
        self.since = since
    }
}

extension Peer {
    /// The best connection of each live host-side link that may carry data, by link number, into `links`
    /// (capacity reserved by the engine); returns how many.
    func liveLinks(isRouter: Bool, into links: inout [Int]) -> Int {
        links.removeAll(keepingCapacity: true)
        for c in connections.indices where connections[c].lastReceived != 0 && connections[c].state.isLive {
            let link = Int(connections[c].group(isRouter: isRouter) & 0xff)
            guard linkPolicies[link].role != .never, !links.contains(link) else { continue }
            links.append(link)
        }
        return links.count
    }

    /// The adaptive candidates into `links`, earliest expected arrival first; those later than `deadline` only
    /// when no link meets it.
    func adaptiveCandidates(isRouter: Bool, deadline: UInt64, into links: inout [Int]) -> Int {
        let count = liveLinks(isRouter: isRouter, into: &links)
        guard count > 1 else { return count }
        links.sort {
            let a = expectedArrival($0, isRouter: isRouter), b = expectedArrival($1, isRouter: isRouter)
            return a != b ? a < b : linkLoss($0, isRouter: isRouter) < linkLoss($1, isRouter: isRouter)
        }
        var meeting = 0
        while meeting < links.count && expectedArrival(links[meeting], isRouter: isRouter) <= deadline { meeting += 1 }
        if meeting > 0 && meeting < links.count { links.removeSubrange(meeting...) }
        return links.count
    }

    /// SRTT/2 + 2 RTTVAR of the link's best connection (ns; unmeasured links count as 0, so they are tried).
    func expectedArrival(_ link: Int, isRouter: Bool) -> UInt64 {
        guard let c = bestConnection(onLink: link, isRouter: isRouter) else { return .max }
        let statistics = connections[c].statistics
        let role = UInt64(linkPolicies[link].role.rawValue) * 1_000_000_000_000  // a worse role is never preferred
        return role + statistics.smoothedRTT / 2 + 2 * statistics.rttVariation
    }

    func linkLoss(_ link: Int, isRouter: Bool) -> Double {
        guard let c = bestConnection(onLink: link, isRouter: isRouter) else { return 1 }
        return connections[c].statistics.recentLoss
    }

    func isLinkLive(_ link: Int, isRouter: Bool) -> Bool {
        guard let c = bestConnection(onLink: link, isRouter: isRouter) else { return false }
        return connections[c].state.isLive
    }

    func isLinkUp(_ link: Int, isRouter: Bool) -> Bool {
        guard let c = bestConnection(onLink: link, isRouter: isRouter) else { return false }
        return connections[c].state == .up
    }

    func bestConnection(onLink link: Int, isRouter: Bool) -> Int? {
        var best: Int? = nil
        for c in connections.indices where connections[c].lastReceived != 0
            && Int(connections[c].group(isRouter: isRouter) & 0xff) == link {
            if best == nil || connections[c].isBetter(than: connections[best!]) { best = c }
        }
        return best
    }

    /// The overhead adaptive protection may cost: the smallest `max-overhead` of the adaptive rules.
    func adaptiveOverheadLimit(_ settings: PolicySettings) -> Double {
        var limit = settings.defaultPolicy.mode == .adaptive ? settings.defaultPolicy.maximumOverhead : 1
        for policy in settings.policies where policy.mode == .adaptive { limit = min(limit, policy.maximumOverhead) }
        return limit
    }

    /// Keeps only the copy on host-side link `link` in `plan` (when it is there).
    @inline(__always)
    func keepOnly(link: Int, in plan: inout [Int], isRouter: Bool) {
        guard plan.count > 1 else { return }
        for i in plan.indices {
            let c = plan[i]
            if Int(connections[c].group(isRouter: isRouter) & 0xff) == link {
                plan.removeAll(keepingCapacity: true)
                plan.append(c)
                return
            }
        }
    }
}

/// `x` to the power `n` (n >= 0), without Foundation.
@inline(__always)
func pow(_ x: Double, _ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<max(n, 0) { result *= x }
    return result
}
