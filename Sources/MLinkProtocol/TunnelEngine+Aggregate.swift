import MLinkControl
import MLinkFlows
import MLinkTypes

/// Aggregate mode (issue 15 item 4; PROTOCOL.md section 16): bulk flows are pinned to links by spare capacity; a
/// flow one link cannot carry is striped, each packet on the link where it arrives first; the receiver puts striped
/// packets back in order (ReorderBuffer.swift); bulk yields to real-time traffic by delay (StripeScheduler).
///
/// The data path asks `aggregatePlan` per packet (a few multiplications per live link, no allocation); the tick
/// feeds each peer's scheduler what its links carried (`updateAggregate`).
extension TunnelEngine {
    /// A striped flow's `FlowState.pinnedLink` carries this bit beside its link (the flow cache of the engine).
    static let stripedFlag = 1 << 16

    /// The plan for a packet of an aggregate flow (`flowSlot` nil: the flow table is full; the flow goes unpinned).
    @inline(__always)
    func aggregatePlan(flowSlot: Int?, peer: Peer, length: Int, index: Int, now: UInt64) -> PacketPlan {
        var plan = PacketPlan(mode: .redundant, copies: 0, protect: false, policy: index, pinnedLink: -1)
        guard let flowTable, let slot = flowSlot else { return plan }
        if peer.stripes == nil { peer.stripes = StripeScheduler() }  // once per peer
        let scheduler = peer.stripes!
        let links = peer.liveLinks(isRouter: !peer.dials, into: &linkScratch, scratch: planScratch)
        guard links > 0 else { return plan }
        let cached = flowTable.entries[slot].pinnedLink
        var pinned = cached >= 0 ? cached & 0xffff : -1
        let wasStriped = cached >= 0 && cached & TunnelEngine.stripedFlag != 0
        if pinned < 0 || !linkScratch[0..<links].contains(pinned) {
            pinned = scheduler.pin(among: linkScratch, count: links)
        }
        let flow = flowTable.entries[slot]
        let flowRate = Double(flow.meanSize) * Double(flow.packetsPerSecond)
        let striped = links > 1 && scheduler.stripes(flowRate: flowRate, on: pinned, wasStriped: wasStriped)
        let state = pinned | (striped ? TunnelEngine.stripedFlag : 0)
        if state != cached { flowTable.updateEntry(slot) { $0.pinnedLink = state } }
        let bytes = length + WireFormat.transportOverhead
        let link: Int
        if striped {
            link = scheduler.choose(among: linkScratch, count: links, bytes: bytes, now: now)
            plan.striped = true
        } else {
            link = scheduler.admits(pinned, bytes: bytes, now: now) ? pinned : -1
        }
        guard link >= 0 else {
            plan.drop = true
            return plan
        }
        scheduler.record(link, bytes: bytes)
        plan.pinnedLink = link
        return plan
    }

    /// Writes a striped packet's stripe distance into its header (before sealing: byte 1 is associated data).
    @inline(__always)
    func markStriped(_ header: UnsafeMutableRawPointer, counter: UInt64, peer: Peer, session: Session) {
        guard let scheduler = peer.stripes else { return }
        header.storeBytes(of: scheduler.distance(counter: counter, session: session.localIndex), toByteOffset: 1,
                          as: UInt8.self)
    }

    /// A new, authentic striped data packet (byte 1 = `distance`): delivered now, or held until its predecessor.
    @inline(__always)
    func receiveStriped(_ packet: UnsafeMutableRawPointer, length: Int, distance: UInt8, counter: UInt64,
                        session: UInt32, from peerIndex: Int, connection: Int, now: UInt64) -> Verdict {
        guard let predecessor = ReorderBuffer.predecessor(counter: counter, distance: distance) else {
            globalDrops.malformed += 1
            return .none
        }
        let peer = peers[peerIndex]
        if peer.reorder == nil { peer.reorder = ReorderBuffer() }  // once per peer, at its first striped packet
        let buffer = peer.reorder!
        let arrival = buffer.arrive(packet, length: length, counter: counter, predecessor: predecessor,
                                    session: session, path: connection, now: now)
        if buffer.hasHeld { hasReorderedPackets = true }
        return arrival == .deliver ? route(inbound: packet, length: length, from: peerIndex) : .none
    }

    /// The next striped packet the reorder buffers release now (in order, or after its wait): its buffer (the
    /// packet at `WireFormat.transportHeaderSize`, valid until the next call) and what to do with it. Call it
    /// until nil after a datagram while `hasReorderedPackets`, and after every tick.
    public func nextReordered(now: UInt64) -> (buffer: UnsafeMutableRawPointer, verdict: Verdict)? {
        guard hasReorderedPackets else { return nil }
        var holding = false
        for peerIndex in peers.indices {
            guard let buffer = peers[peerIndex].reorder, buffer.hasHeld else { continue }
            let passed = lossEvidence(peers[peerIndex], buffer: buffer, now: now)
            while let (packet, length) = buffer.next(now: now, passed: passed) {
                let verdict = route(inbound: packet + WireFormat.transportHeaderSize, length: length, from: peerIndex)
                if verdict != .none { return (packet, verdict) }
            }
            holding = holding || buffer.hasHeld
        }
        hasReorderedPackets = holding
        return nil
    }

    /// The lowest of the highest counters (this session) delivered by the paths that carried striped packets in
    /// the last second: each path delivers in counter order, so a striped packet below it is lost, not late
    /// (ReorderBuffer). 0 (no evidence) when a striped packet came on a path the buffer does not follow.
    @inline(__always)
    func lossEvidence(_ peer: Peer, buffer: ReorderBuffer, now: UInt64) -> UInt64 {
        guard buffer.followsPaths(now: now) else { return 0 }
        var passed = UInt64.max
        for c in peer.connections.indices where buffer.isStriping(path: c, now: now) {
            let highest = peer.connections[c].counterSession == buffer.session ? peer.connections[c].highestCounter : 0
            passed = min(passed, highest)
        }
        return passed == .max ? 0 : passed
    }

    /// What aggregate mode did for `peer`: packets striped, bulk packets dropped by pacing, and the receiver's
    /// reorder counts (released in order after waiting, given up on a timeout, late); `active` once it did either.
    public func aggregateCounts(peer peerIndex: Int) -> (active: Bool, striped: UInt64, pacingDrops: UInt64,
                                                         reordered: UInt64, timeouts: UInt64, bound: UInt64,
                                                         lost: UInt64, late: UInt64) {
        let peer = peers[peerIndex]
        return (peer.stripes != nil || peer.reorder != nil, peer.stripes?.stripedPackets ?? 0, peer.stripes?.pacingDrops ?? 0,
                peer.reorder?.releasedInOrder ?? 0, peer.reorder?.timeouts ?? 0, peer.reorder?.boundReleases ?? 0,
                peer.reorder?.lossReleases ?? 0, peer.reorder?.late ?? 0)
    }

    /// A FEEDBACK path summary for connection `c` of `peer` (which stripes): what the path delivered into the
    /// scheduler's capacity estimate of its link.
    func aggregateFeedback(_ peer: Peer, connection c: Int, summary: FeedbackMessage.PathSummary, now: UInt64) {
        guard let scheduler = peer.stripes else { return }
        let link = Int(peer.connections[c].group(isRouter: !peer.dials) & 0xff)
        let s = peer.connections[c].statistics
        scheduler.feedback(link: link, pathID: summary.pathID, highest: summary.highestSequence,
                           received: summary.received, sentPackets: s.txPackets,
                           sentBytes: s.txBytes, now: now)
    }

    /// The scheduler's estimate per link it has seen, for show (allocates; not on the data path).
    public func aggregateLinks(peer peerIndex: Int, now: UInt64) -> [(link: Int, capacity: Double, rate: Double,
                                                                      delivered: Double, queue: UInt64, delay: UInt64)] {
        guard let s = peers[peerIndex].stripes else { return [] }
        return (0..<StripeScheduler.links).compactMap { l in
            guard s.delay[l] > 0 || s.rate[l] > 0 else { return nil }
            return (l, s.capacity[l], s.rate[l], s.delivered[l], s.queueTime(l, now: now), s.delay[l])
        }
    }

    /// The reorder buffer's wait for `peer` (ns; 0 without one).
    public func reorderWait(peer peerIndex: Int) -> UInt64 { peers[peerIndex].reorder?.maximumWait ?? 0 }

    /// Per tick: each live link's carried bytes, queueing delay and RTT into the peer's scheduler; the reorder
    /// buffer's wait from the links' delay spread and jitter.
    func updateAggregate(_ peer: Peer, now: UInt64) {
        if let scheduler = peer.stripes {
            _ = peer.liveLinks(isRouter: !peer.dials, into: &linkScratch, scratch: planScratch)
            for c in planScratch.connections {  // the best connection of each link
                let link = Int(peer.connections[c].group(isRouter: !peer.dials) & 0xff)
                var carried: UInt64 = 0
                for d in peer.connections.indices
                where Int(peer.connections[d].group(isRouter: !peer.dials) & 0xff) == link {
                    let t = peer.connections[d].statistics.traffic
                    carried &+= t.txDataBytes &+ t.txDuplicateBytes &+ t.txParityBytes &+ t.txReplayBytes
                }
                let s = peer.connections[c].statistics
                scheduler.observe(link: link, carried: carried, queueing: s.forwardDelayTrend, rtt: s.smoothedRTT,
                                  probeReplies: s.probeRepliesReceived, now: now)
            }
        }
        if let buffer = peer.reorder {
            let (lowest, highest, jitter) = liveRTTSpread(peer)
            let spread = lowest == .max ? 50_000_000 : (highest - lowest) / 2 + 2 * jitter
            buffer.adapt(base: max(2_000_000, spread), now: now)
            if buffer.hasHeld { hasReorderedPackets = true }
        }
    }
}
