import MLinkControl
import MLinkFlows
import MLinkTypes

/// Per-flow policies (issue 15): the flow table classifies every data packet, the first matching `policies` rule
/// (or the default) says how its class is carried, and the copy planning of Bundle.swift does the rest.
///
/// Without policies (no `policies`, mode redundant or failover) none of this runs: no flow table, no lookup.
///
/// Adaptive mode, per peer and re-decided every tick (the data path only reads the decision):
///   1. candidates: each host-side link's best connection that is live and not `never` (the grouping of
///      `Peer.selectCopies`, so a backup joins only while no better link is live); its expected arrival is
///      SRTT/2 + 2 RTTVAR (one-way delay and jitter) and its loss the loss of our direction as the peer's
///      FEEDBACK reports it (the loss measured on what we receive while no FEEDBACK younger than 2 s exists),
///      both computed once per tick; links slower than `deadline` drop out unless none is left;
///   2. the primary is the candidate with the earliest arrival;
///   3. protection, the cheapest that meets `target-loss` with the primary's loss p and the next link's loss q:
///      none (p <= target), else retransmission when a repair fits the deadline (1.5 SRTT + 2.5 RTTVAR of the
///      primary, RTTVAR averaged over 8 s, the receiver's single-path reorder allowance and 10 ms of spacing and
///      ticks: the packet's way, the
///      NACK's and the repair's on the link that arrives soonest) and its residual p x (min(p, q) + p x q) (the
///      repair lost, or both copies of the NACK) meets the target, else XOR parity on the next link with the
///      largest k in 16, 8, 4, 2 whose residual loss under the primary's loss runs (BurstModel.swift: a run of
///      two or more in a block is lost; at random loss p x (1 - (1-p)^(k-1) x (1-q))) meets the target and whose
///      overhead 1/k is within `max-overhead`, else duplication on the best two (residual p x q); with one link,
///      parity on it under the same rule;
///      k counts only as far as the packets that arrive within a block's delay (a third of the deadline, at most
///      50 ms, at the measured rate to the peer): at 100 packets/s a block holds 5;
///   4. escalation is immediate: a primary that is down or reported silent (PATH_SILENT), whose forward delay rose
///      by a jump (20 ms and five times what jitter moves it), or whose receiver NACKed a run its loss runs make
///      unlikely (8 of 16 at random loss, 16 at runs of mean 4) means duplication at once, and the recent packets
///      are replayed on the next link (ReplayRing.swift); de-escalation is one level per `adaptiveHold`
///      (duplicate, parity, retransmit, single; parity skipped when it would protect less than the repairs),
///      and protection that is on stays on until the loss is under half the target, so a noisy measurement
///      cannot make the plan flap; the primary changes only when another link is expected earlier by more than
///      its RTTVAR for a hold; a primary that is down or reported silent is a cut (`adaptiveCutLink`): until it
///      is heard again it is no candidate, the data keeps off it (it ranks live for the half second before its
///      probes call it down) and is duplicated on the best two of the rest whatever their loss (striping or
///      parity would keep a share on it, and the bundle is a link short), and the hold before the first step down
///      counts from its return, also when it ranks first again at once (with two links, one is left: nothing to
///      duplicate on, and none of this applies);
///   5. small packets (`smallPacket` bytes or less: audio and RTCP, alone or beside video on one 5-tuple) are
///      duplicated while protection is on and their byte rate is under a quarter of `max-overhead` of the peer's
///      data byte rate: a repair comes a round trip late, and at 2% loss that is the audio's p99 (a per-packet
///      choice inside one flow: the flow's class does not matter).
/// The plan keeps its reason and figures for `show` (`AdaptivePlan.reasonText`).
/// A flow whose class is still `unknown` (its first packets) is duplicated: it may be the start of a call.
/// Every adaptive packet is kept in the replay ring, so a NACK is repaired on another link at any level when
/// it can still arrive in time (TunnelEngine+Feedback.swift).
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
        /// Keep the sealed packet in the replay ring so a NACK can be repaired on another link (adaptive).
        var repairable = false
        /// Aggregate mode (TunnelEngine+Aggregate.swift): the packet is striped (byte 1 carries its stripe
        /// distance), or dropped by pacing.
        var striped = false
        var drop = false
        /// Keep the copies off this host-side link while another can carry them (-1: none): adaptive mode's cut
        /// primary, which may still rank live for the half second before its probes call it down.
        var avoidLink = -1
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

    /// The adaptive rules' deadline and target loss (for `show`'s reasons; the defaults without policies).
    public var adaptiveTargets: (deadline: UInt64, targetLoss: Double) {
        (policySettings?.deadline ?? 150_000_000, policySettings?.targetLoss ?? 0.001)
    }

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
        if policySettings.policy(index).mode == .aggregate {
            return aggregatePlan(flowSlot: slot, peer: peer, length: length, index: index, now: now)
        }
        let trafficClass = flowTable.entries[slot].trafficClass
        // A small packet: audio or RTCP, alone or beside video on one 5-tuple (WebRTC's BUNDLE; the lab's A/V
        // stream, which the classifier calls bulk by its rate and sizes). Small packets are duplicated only while
        // they are a small share of the bytes, so a bulk flow's ACKs are not.
        let small = length <= TunnelEngine.smallPacket
        if small { peer.adaptiveSmallBytes &+= UInt64(length + WireFormat.transportOverhead) }  // as txDataBytes counts
        return planFor(policySettings.policy(index), index: index, peer: peer, flowSlot: slot,
                       unknown: trafficClass == .unknown, smallAudio: small && peer.adaptiveSmallIsCheap)
    }

    @inline(__always)
    private func planFor(_ policy: FlowPolicy, index: Int, peer: Peer, flowSlot: Int?, unknown: Bool,
                         smallAudio: Bool = false) -> PacketPlan {
        switch policy.mode {
        case .redundant:
            return PacketPlan(mode: .redundant, copies: policy.copies, protect: false, policy: index, pinnedLink: -1)
        case .failover:
            return PacketPlan(mode: .failover, copies: 0, protect: false, policy: index, pinnedLink: -1)
        case .adaptive:
            let adaptive = peer.adaptive
            // Small packets are duplicated whenever protection is on while they are a few percent of the peer's
            // bytes (`noteAdaptiveByteRate`).
            if unknown || adaptive.level == .duplicate || adaptive.primaryLink < 0
                || (smallAudio && adaptive.level > .single) {
                return PacketPlan(mode: .redundant, copies: 2, protect: false, policy: index, pinnedLink: -1,
                                  repairable: true, avoidLink: peer.adaptiveCutLink)
            }
            return PacketPlan(mode: .redundant, copies: 0, protect: adaptive.level == .parity, policy: index,
                              pinnedLink: adaptiveDataLink(peer, primary: adaptive.primaryLink), repairable: true)
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
        let links = peer.liveLinks(isRouter: !peer.dials, into: &linkScratch, scratch: planScratch)
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

    /// Re-decides `peer`'s adaptive plan: primary link, protection level, parity k and link. On an escalation
    /// to duplication the recent packets are replayed on the next link into `out`.
    func updateAdaptive(_ peer: Peer, peerIndex: Int, now: UInt64, into out: OutboundBatch) {
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
        noteAdaptiveByteRate(peer, now: now, maximumOverhead: peer.adaptiveOverheadLimit(policySettings))
        var plan = peer.adaptive
        let scratch = planScratch
        var candidates = peer.adaptiveCandidates(isRouter: !peer.dials, deadline: policySettings.deadline, now: now,
                                                 scratch: scratch)
        // A cut primary (`adaptiveCutLink`) is no candidate while the cut lasts; once it is heard again the hold
        // before the first step down counts from then.
        if peer.adaptiveCutLink >= 0 {
            if !peer.isLinkCut(peer.adaptiveCutLink, isRouter: !peer.dials) {
                peer.adaptiveCutLink = -1
                if plan.level == .duplicate {
                    plan.since = now
                    peer.adaptive.since = now
                }
            } else if candidates > 1, let i = scratch.links[0..<candidates].firstIndex(of: peer.adaptiveCutLink) {
                scratch.links.remove(at: i)
                candidates -= 1
            }
        }
        guard candidates > 0 else {
            if plan.level != .duplicate || plan.primaryLink != -1 {
                plan = AdaptivePlan(level: .duplicate, primaryLink: -1, since: now)
                plan.reason = .noLink
                applyAdaptive(plan, to: peer, peerIndex: peerIndex)
            }
            return
        }
        // Hysteresis: a live primary stays until another link is expected earlier by more than its RTTVAR (at
        // least 5 ms) for a hold (its expected arrival moves with 2 RTTVAR: on the lab's lte links the 35 ms
        // link's swung past the 50 ms one's for a moment now and then, and each swap re-planned).
        if candidates > 1, plan.primaryLink >= 0, plan.primaryLink != scratch.links[0],
           let current = scratch.links[0..<candidates].firstIndex(of: plan.primaryLink),
           scratch.arrival[plan.primaryLink] <= scratch.arrival[scratch.links[0]]
               + max(5_000_000, peer.connections[scratch.connection[plan.primaryLink]].statistics.rttVariation) {
            if peer.adaptivePrimaryChallenged == 0 { peer.adaptivePrimaryChallenged = now }
            if now &- peer.adaptivePrimaryChallenged < TunnelEngine.adaptiveHold { scratch.links.swapAt(0, current) }
        } else {
            peer.adaptivePrimaryChallenged = 0
        }
        let primary = scratch.links[0], next = candidates > 1 ? scratch.links[1] : -1
        let p = scratch.loss[primary], q = next >= 0 ? scratch.loss[next] : p
        let target = policySettings.targetLoss
        let maximumOverhead = peer.adaptiveOverheadLimit(policySettings)
        var wanted = AdaptivePlan(level: .single, primaryLink: primary, since: now)
        // Hysteresis: protection that is on stays on until the loss is well under the target (the loss estimate
        // is noisy; a plan that flips to "none" loses packets at the full rate while it is wrong).
        let threshold = plan.level == .single ? target : target / 2
        // A block cannot hold more packets than arrive within its delay: that k is what the residual is worth.
        let rate = peer.adaptiveRate
        let primaryConnection = peer.connections[scratch.connection[primary]]
        let burst = primaryConnection.feedback.burst
        wanted.loss = p
        wanted.meanRun = burst.meanRun
        // Trouble: the path is down, or the receiver reported our data silent on it and nothing came since, or
        // its one-way delay rose by a jump (its rise above its slow average: jitter alone does not make one), or
        // its receiver NACKed a run longer than its loss runs make likely (8 of 16 at random loss; at the lab's
        // lte runs of mean 4, one in eight bursts reaches 8, so there it takes 16). (Not `degraded`: one late
        // probe reply would escalate a lossy link every few seconds; its loss is the planner's p.)
        let nackRun = now &- primaryConnection.feedback.nackAt < TunnelEngine.adaptiveHold ? primaryConnection.feedback.nackRun : 0
        let delayRise = primaryConnection.statistics.forwardDelayRise
        let repairTime = next >= 0 ? retransmissionTime(peer, primary: primary, scratch: scratch, now: now) : .max
        // A repair goes on the link that arrives in time, the primary's own when the other does not (lte): its
        // loss is the lower of the two, near enough. Residual: the repair lost, or both copies of the NACK.
        let repairLoss = min(p, q)
        let troubleReason: AdaptivePlan.Reason? =
            primaryConnection.state == .down ? .down
            : primaryConnection.alarmedAt != 0 && primaryConnection.alarmedAt >= primaryConnection.lastReceived ? .silent
            : primaryConnection.statistics.isDelayJump(threshold: TunnelEngine.delayJump) ? .delayJump
            : nackRun >= burst.severeRun(floor: TunnelEngine.severeNackCount, span: Int(TunnelEngine.nackBurstSpan)) ? .nackBurst
            : nil
        if let troubleReason, next >= 0 {
            wanted.level = .duplicate  // trouble on the primary: duplicate at once
            wanted.reason = troubleReason
            wanted.delayRise = delayRise
        } else if p > threshold {
            wanted.level = .duplicate
            wanted.reason = .tooLossy
            // (Hysteresis here too: retransmission that is on stays on up to twice the target, and while its
            // repair takes up to an eighth more than the deadline.)
            let retransmitLimit = plan.level == .retransmit ? 2 * target : target
            let timeLimit = policySettings.deadline + (plan.level == .retransmit ? policySettings.deadline / 8 : 0)
            wanted.repairTime = repairTime
            if next >= 0, p <= maximumOverhead, p * (repairLoss + p * q) <= retransmitLimit, repairTime <= timeLimit {
                wanted.level = .retransmit
                wanted.reason = .repairInTime
            } else {
                let fill = max(2, Int(rate * Double(TunnelEngine.parityDelay(policySettings.deadline)) / 1e9))
                for k in [16, 8, 4, 2] where 1.0 / Double(min(k, fill)) <= maximumOverhead {
                    // The primary's loss runs: XOR parity repairs one loss per block, never a run.
                    let residual = burst.parityResidual(p: p, q: q, k: min(k, fill))
                    if residual <= target || (next < 0 && k == 2) {
                        wanted.level = .parity
                        wanted.reason = .parityMeetsTarget
                        wanted.parityK = k
                        wanted.parityLink = next >= 0 ? next : primary
                        break
                    }
                }
            }
            if wanted.level == .duplicate, next < 0 { wanted.level = .single }  // nothing to duplicate on
        } else {
            wanted.reason = .clean
        }
        planStriping(&wanted, peer: peer, candidates: candidates, scratch: scratch, target: target,
                     maximumOverhead: maximumOverhead)
        if !peer.stripeData.isEmpty { wanted.reason = .striped }
        // A cut of the primary: while it lasts the data is duplicated on the best two of the rest, whatever their
        // loss (the bundle is a link short, and the half second before the cut link's probes call it down, it
        // still ranks live: striping or parity would keep a share of the data on it).
        // (With two links the one left carries alone: nothing to duplicate on, and a false alarm on a bursty
        // link would move the data to the slower one for the primary's hold.)
        if troubleReason == .down || troubleReason == .silent, candidates >= 3 { peer.adaptiveCutLink = primary }
        if peer.adaptiveCutLink >= 0, next >= 0 {
            peer.stripeData.removeAll(keepingCapacity: true)
            wanted.level = .duplicate
            wanted.parityK = 0
            wanted.parityLink = -1
            if peer.adaptiveCutLink != primary { wanted.reason = .linkCut }
        }
        let escalates = wanted.level > plan.level || (wanted.level == .parity && plan.level == .parity
                                                       && wanted.parityK < plan.parityK)
        let linkChanged = wanted.primaryLink != plan.primaryLink || wanted.parityLink != plan.parityLink
        if !escalates, linkChanged, plan.reason == .linkCut, plan.level == .duplicate, wanted.level < .duplicate,
           next >= 0, now &- plan.since < TunnelEngine.adaptiveHold {
            // The cut link is back and ranks first again: duplication stays for the hold counted from its return
            // (a link that just came back is the likeliest to go again), then steps down as usual.
            peer.stripeData.removeAll(keepingCapacity: true)
            wanted.level = .duplicate
            wanted.reason = .linkCut
            wanted.parityK = 0
            wanted.parityLink = -1
            wanted.since = plan.since
        }
        if escalates || linkChanged || plan.primaryLink < 0 {
            applyAdaptive(wanted, to: peer, peerIndex: peerIndex)
            if wanted.level == .duplicate && plan.level != .duplicate && plan.primaryLink >= 0 && next >= 0 {
                // Whatever the primary lost since it went wrong goes out again on the next link.
                replay(peer, peerIndex: peerIndex, onto: scratch.connection[next], link: next, now: now, into: out)
            }
        } else if wanted.level < plan.level || (wanted.level == .parity && wanted.parityK > plan.parityK),
                  now &- plan.since >= TunnelEngine.adaptiveHold {
            // One level down: duplicate -> parity (k = 4 when parity is not what is wanted) -> retransmit -> single.
            // Parity is skipped on the way down when it would protect less than the repairs, which every level
            // below duplication makes when they fit the deadline: its residual with the primary's loss runs (at
            // 2% random loss 0.16% against the repairs' 0.04%; at runs of mean 4 it repairs under a quarter of the
            // losses) above theirs, and a repair in time. Two seconds of it cost 25% and bought nothing.
            var step = wanted
            if wanted.level.rawValue < plan.level.rawValue - 1, var below = AdaptivePlan.Level(rawValue: plan.level.rawValue - 1) {
                if below == .parity, repairTime <= policySettings.deadline,
                   burst.parityResidual(p: p, q: q, k: 4) > p * (repairLoss + p * q) {
                    below = .retransmit
                }
                if below > wanted.level {
                    step.level = below
                    step.reason = .steppingDown
                    if below == .parity {
                        step.parityK = 4
                        step.parityLink = next >= 0 ? next : primary
                    }
                }
            }
            applyAdaptive(step, to: peer, peerIndex: peerIndex)
        } else if wanted.level == plan.level {
            // The same plan: its reason and figures are today's (`show`).
            peer.adaptive.reason = wanted.reason
            peer.adaptive.loss = wanted.loss
            peer.adaptive.meanRun = wanted.meanRun
            peer.adaptive.repairTime = wanted.repairTime
            peer.adaptive.delayRise = wanted.delayRise
        }
    }

    /// A forward delay that rose this far above its slow average is a delay jump: escalate (ns).
    static let delayJump: UInt64 = 20_000_000
    /// NACKed packets among 16 consecutive on the primary that escalate adaptive mode at once when its loss is
    /// random (more with longer loss runs: `BurstModel.severeRun`).
    static let severeNackCount = 8

    /// How long a repair takes from the original's send (ns), with the jitter of its three legs: the packet's
    /// way on the primary, the NACK's way back and the repair's way (on the link that arrives soonest, the
    /// primary's own when no other is in time, TunnelEngine+Feedback.swift), 1.5 SRTT of the primary, plus 2.5
    /// RTTVAR (two deviations of the three legs together: an RTT's deviation is about 1.25 RTTVAR, three legs
    /// 1.22 times an RTT's), the receiver's single-path reorder allowance (half the RTTVAR and 2 ms), 5 ms of
    /// feedback spacing and 5 ms of ticks. On the lab's lte links (35 ms, 8 ms of jitter): about 144 ms; a sum of
    /// three 2-RTTVAR bounds said 200 ms and ruled repairs out where they fit.
    /// The jitter terms (2.5 RTTVAR and the allowance's half RTTVAR) take the primary's RTTVAR averaged over
    /// `repairJitterAveraging` (`repairJitter`), SRTT its current value: RTTVAR follows only the last few samples,
    /// and on the lab's lte links, whose jitter never changes, it swung the estimate between 129 and 198 ms
    /// around the 150 ms deadline within seconds, flipping the plan to duplication (24 s of the 120 s run) for
    /// a few rescued packets. A real change still escalates at once: a delay jump, silence or a NACK burst does
    /// (`updateAdaptive`'s trouble), a delay jump restarts the average, and a rise of the delay itself is SRTT's.
    func retransmissionTime(_ peer: Peer, primary: Int, scratch: PlanScratch, now: UInt64) -> UInt64 {
        let c = scratch.connection[primary], statistics = peer.connections[c].statistics
        let jitter = repairJitter(peer, connection: c, now: now)
        return 3 * statistics.smoothedRTT / 2 + 5 * jitter / 2 + TunnelEngine.singlePathAllowance(jitter: jitter)
            + 10_000_000
    }

    /// How long the primary's RTT variation is averaged for the repair-time estimate (ns), and the round-trip
    /// samples it needs first (before, and right after a delay jump, the current RTTVAR counts).
    static let repairJitterAveraging: UInt64 = 8_000_000_000
    static let repairJitterSamples: UInt64 = 8

    /// The RTT variation of `peer`'s primary connection `c` averaged over about `repairJitterAveraging`, folded
    /// in once a tick weighted by the tick's time: a plain mean over the first `repairJitterAveraging` (so the
    /// value it starts from does not stand for seconds), an exponential average after. It starts afresh from the
    /// current value on a new primary, before `repairJitterSamples` round trips were measured and on a delay jump.
    func repairJitter(_ peer: Peer, connection c: Int, now: UInt64) -> UInt64 {
        let statistics = peer.connections[c].statistics
        let current = Double(statistics.rttVariation)
        if peer.adaptiveJitterConnection != c || statistics.rttSamples < TunnelEngine.repairJitterSamples
            || statistics.isDelayJump(threshold: TunnelEngine.delayJump) || peer.adaptiveJitterAt == 0 {
            peer.adaptiveJitter = current
            peer.adaptiveJitterConnection = c
            peer.adaptiveJitterSince = now
        } else if now > peer.adaptiveJitterAt {
            let span = min(now &- peer.adaptiveJitterSince, TunnelEngine.repairJitterAveraging)
            let gain = min(1, Double(now - peer.adaptiveJitterAt) / Double(max(span, 1)))
            peer.adaptiveJitter += (current - peer.adaptiveJitter) * gain
        }
        peer.adaptiveJitterAt = now
        return UInt64(peer.adaptiveJitter)
    }

    /// Decides once a tick whether small packets (audio, RTCP: `smallPacket` bytes or less) are duplicated while
    /// protection is on: while their byte rate is at most a quarter of `max-overhead` of the peer's data byte rate
    /// (both smoothed over about a second, ticks without data included). Audio beside video is about 3.5% of the
    /// bytes; a repaired packet comes a round trip late, and at 2% loss that is the audio's p99. An audio-only call
    /// is not duplicated. (The share is the ratio of the two averages: an average of each tick's ratio read 42%
    /// for the lab's A/V stream, since a tick with an audio packet and no video frame is 90% small bytes.)
    private func noteAdaptiveByteRate(_ peer: Peer, now: UInt64, maximumOverhead: Double) {
        var bytes: UInt64 = 0
        for c in peer.connections.indices { bytes &+= peer.connections[c].statistics.traffic.txDataBytes }
        let sent = bytes &- peer.adaptiveBytesSent, small = peer.adaptiveSmallBytes
        peer.adaptiveBytesSent = bytes
        peer.adaptiveSmallBytes = 0
        guard now > peer.adaptiveBytesAt else { return }
        defer { peer.adaptiveBytesAt = now }
        guard peer.adaptiveBytesAt != 0 else { return }
        let elapsed = Double(now - peer.adaptiveBytesAt), gain = min(1, elapsed / 1e9)
        peer.adaptiveSmallRate += (Double(small) * 1e9 / elapsed - peer.adaptiveSmallRate) * gain
        peer.adaptiveDataRate += (Double(sent) * 1e9 / elapsed - peer.adaptiveDataRate) * gain
        peer.adaptiveSmallIsCheap = peer.adaptiveDataRate > 0
            && peer.adaptiveSmallRate <= maximumOverhead / 4 * peer.adaptiveDataRate
    }

    /// The inner packets adaptive mode counts as small (audio, RTCP): the classifier's audio size (bytes).
    static let smallPacket = 300

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
    /// Protection, cheapest first.
    public enum Level: Int, Comparable, Sendable {
        /// One copy on the primary (a NACK is still repaired when it can be).
        case single = 0
        /// One copy on the primary, NACKs repaired on the next link (cross-link retransmission).
        case retransmit = 1
        case parity = 2
        case duplicate = 3
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        /// The name `show` reports.
        public var name: String {
            switch self {
            case .single: "single"
            case .retransmit: "retransmit"
            case .parity: "parity"
            case .duplicate: "duplicate"
            }
        }
    }
    /// Why the planner chose the level (`show`).
    public enum Reason: Int, Sendable {
        case start, noLink, down, silent, delayJump, nackBurst, tooLossy, repairInTime, parityMeetsTarget, clean
        case steppingDown, striped, linkCut
    }
    public var level: Level = .duplicate
    public var reason: Reason = .start
    /// The figures behind the reason: the primary's loss, its mean loss run (packets), the repair time the
    /// planner estimated (ns, 0: not estimated) and the delay rise (ns).
    public var loss = 0.0
    public var meanRun = 1.0
    public var repairTime: UInt64 = 0
    public var delayRise: UInt64 = 0
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

    /// The reason as `show` prints it, with its figures (allocates: for `show` only).
    public func reasonText(deadline: UInt64, targetLoss: Double) -> String {
        func percent(_ x: Double) -> String { "\(Double(Int(x * 10_000)) / 100)%" }
        func milliseconds(_ ns: UInt64) -> String { ns == .max ? "never" : "\(ns / 1_000_000) ms" }
        let lossText = "loss \(percent(loss)) in runs of \(Double(Int(meanRun * 10)) / 10)"
        switch reason {
        case .start: return "starting"
        case .noLink: return "no link can carry the data"
        case .down: return "the primary is down"
        case .silent: return "the receiver reported the primary silent"
        case .delayJump: return "the primary's delay rose \(milliseconds(delayRise))"
        case .nackBurst: return "a NACK burst on the primary"
        case .tooLossy:
            return "\(lossText) > target \(percent(targetLoss)); a repair takes \(milliseconds(repairTime)) "
                + "(deadline \(milliseconds(deadline))) and parity misses the target"
        case .repairInTime:
            return "\(lossText) > target \(percent(targetLoss)); a repair takes \(milliseconds(repairTime)) "
                + "<= deadline \(milliseconds(deadline))"
        case .parityMeetsTarget:
            return "\(lossText) > target \(percent(targetLoss)); no repair in time (\(milliseconds(repairTime))), "
                + "parity meets the target"
        case .clean: return "\(lossText) <= target \(percent(targetLoss))"
        case .steppingDown: return "one level down per hold (\(lossText))"
        case .striped: return "striped over three or more links with parity"
        case .linkCut: return "a link was cut: duplicated on the others until a hold after its return"
        }
    }
}

/// The adaptive planner's figures per host-side link, filled once per tick (no allocation: reserved once).
final class PlanScratch {
    /// One connection per host-side link (`Peer.selectCopies`' grouping).
    var connections: [Int] = { var list = [Int](); list.reserveCapacity(256); return list }()
    /// The candidate links, best first.
    var links: [Int] = { var list = [Int](); list.reserveCapacity(256); return list }()
    /// By link number: its best connection, expected arrival (ns) and loss of our direction.
    var connection = [Int](repeating: -1, count: 256)
    var arrival = [UInt64](repeating: .max, count: 256)
    var loss = [Double](repeating: 1, count: 256)
}

extension Peer {
    /// The live host-side links that may carry data (the best connection of each, as `selectCopies` groups
    /// them), by link number, into `links`; returns how many.
    func liveLinks(isRouter: Bool, into links: inout [Int], scratch: PlanScratch) -> Int {
        selectCopies(into: &scratch.connections, isRouter: isRouter)
        links.removeAll(keepingCapacity: true)
        for c in scratch.connections where connections[c].state.isLive {
            let link = Int(connections[c].group(isRouter: isRouter) & 0xff)
            if linkPolicies[link].role != .never { links.append(link) }
        }
        return links.count
    }

    /// The adaptive candidates into `scratch.links`, earliest expected arrival first (then the lower loss), with
    /// each one's connection, arrival and loss in `scratch`; those later than `deadline` only when no link meets
    /// it.
    func adaptiveCandidates(isRouter: Bool, deadline: UInt64, now: UInt64, scratch: PlanScratch) -> Int {
        let count = liveLinks(isRouter: isRouter, into: &scratch.links, scratch: scratch)
        for link in scratch.links {
            var c = -1
            for candidate in scratch.connections where Int(connections[candidate].group(isRouter: isRouter) & 0xff) == link {
                c = candidate
            }
            let connection = connections[c]
            let statistics = connection.statistics
            let role = UInt64(linkPolicies[link].role.rawValue) * 1_000_000_000_000  // a worse role is never preferred
            scratch.connection[link] = c
            scratch.arrival[link] = role + statistics.smoothedRTT / 2 + 2 * statistics.rttVariation
            let reported = connection.feedback.reportedAt != 0
                && now &- connection.feedback.reportedAt < TunnelEngine.feedbackFreshness
            scratch.loss[link] = reported ? connection.feedback.forwardLoss : statistics.recentLoss
        }
        guard count > 1 else { return count }
        scratch.links.sort {
            let a = scratch.arrival[$0], b = scratch.arrival[$1]
            return a != b ? a < b : scratch.loss[$0] < scratch.loss[$1]
        }
        var meeting = 0
        while meeting < scratch.links.count && scratch.arrival[scratch.links[meeting]] <= deadline { meeting += 1 }
        if meeting > 0 && meeting < scratch.links.count { scratch.links.removeSubrange(meeting...) }
        return scratch.links.count
    }

    /// True while host-side link `link` is cut: none of its connections is live and heard since the peer's last
    /// PATH_SILENT about it (false when it has none).
    func isLinkCut(_ link: Int, isRouter: Bool) -> Bool {
        var any = false
        for c in connections.indices where Int(connections[c].group(isRouter: isRouter) & 0xff) == link {
            any = true
            let connection = connections[c]
            if connection.state.isLive && (connection.alarmedAt == 0 || connection.alarmedAt < connection.lastReceived) {
                return false
            }
        }
        return any
    }

    /// Removes the copies on host-side link `link` from `plan` when another copy is left, then keeps the first
    /// `copies` (0: all).
    @inline(__always)
    func avoid(link: Int, in plan: inout [Int], copies: Int, isRouter: Bool) {
        if plan.contains(where: { Int(connections[$0].group(isRouter: isRouter) & 0xff) != link }) {
            plan.removeAll { Int(connections[$0].group(isRouter: isRouter) & 0xff) == link }
        }
        if copies > 0 && plan.count > copies { plan.removeSubrange(copies...) }
    }

    /// True when some connection of host-side link `link` is up or degraded.
    func isLinkLive(_ link: Int, isRouter: Bool) -> Bool {
        connections.contains { Int($0.group(isRouter: isRouter) & 0xff) == link && $0.lastReceived != 0 && $0.state.isLive }
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
