import MLinkControl

/// Receiver feedback and cross-link repair (PROTOCOL.md section 14.3, kind 34 FEEDBACK).
///
/// Receiver, per peer:
///   1. every new counter above the highest received opens a candidate run of the counters skipped
///      (`noteCounter`, on the data path: one comparison per packet, a store per gap);
///   2. each tick, a run older than the reorder allowance R (the bundle's SRTT spread / 2 + 2 RTTVAR + 2 ms; a
///      single path's while the peer sends one copy, except for a run whose counters went on another path) is
///      checked against the replay window: what is still missing is NACKed, the rest forgotten;
///   3. NACKs leave at once (at most one FEEDBACK per max(5 ms, SRTT/4)), as two copies on the two best links;
///      otherwise a summary of the paths leaves every max(250 ms, 4 SRTT) on the best link, and only while data
///      arrives.
/// Sender: a path summary is the loss of its own direction on that path (the adaptive planner uses it); a NACKed
/// counter still in the replay ring is repaired as a further copy on a link that did not carry it, when it can
/// arrive within the deadline (queued here, sent by `flushControl` in the same wake-up); in failover mode a NACK
/// burst on the active link makes it unhealthy, so the next tick takes over and replays.
extension TunnelEngine {
    /// A FEEDBACK younger than this gives a path's forward loss (ns).
    static let feedbackFreshness: UInt64 = 2_000_000_000
    /// NACKed counters among `nackBurstSpan` consecutive ones that make a burst (failover: at 2% random loss
    /// that is one in about 10^5 spans), and how long the path is unhealthy for it.
    static let nackBurstCount = 5
    static let nackBurstSpan: UInt64 = 16
    static let nackBurstHold: UInt64 = 1_000_000_000

    // MARK: Receiver

    /// Called for every new counter of the current session before the window records it: a jump opens a
    /// candidate run of the counters skipped.
    /// When the datagram that carried the previous highest counter came on the same connection with the path
    /// sequence just before this one's, nothing was sent on that path in between: the counters skipped went on
    /// another path (the other link's probes and control messages while the data keeps to one link), and they
    /// wait the full reorder allowance, not the single path's (`ReceiverFeedback.Wait.far`).
    /// When it came on the same connection with a path sequence further on, that path lost datagrams between the
    /// two, and the run is NACKed at the next tick (`ReceiverFeedback.Wait.near`): see `nearAllowance`.
    @inline(__always)
    func noteCounter(_ peer: Peer, counter: UInt64, window: ReplayWindow, connection c: Int, pathSequence: UInt32,
                     now: UInt64) {
        let highest = window.highest, state = peer.receiverFeedback
        guard counter > highest else { return }
        defer { state.noteHighest(connection: c, pathSequence: pathSequence) }
        guard highest != 0, counter > highest &+ 1 else { return }
        state.open(first: highest + 1, end: counter, now: now,
                   wait: state.wait(connection: c, pathSequence: pathSequence,
                                    inOrder: peer.connections[c].statistics.keepsOrder))
    }

    /// How long a run that its own path revealed lost waits before its NACK while the peer sends one copy (ns):
    /// none, it leaves at the next tick. The datagram that opened it came on the path of the previous highest
    /// counter with a path sequence further on, so that path lost the datagrams between the two (a path that keeps
    /// its order, as the lab's emulated links and most real ones do: `PathStatistics.keepsOrder`), and no other
    /// copy is on its way (while the peer sends copies, the run waits the allowance). Waiting the single-path allowance
    /// (10-20 ms on the lab's lte links) only took that time from the repair: about 18% of the lte run's NACKs
    /// reached the sender more than 115 ms after the send, too late for the 150 ms deadline on either link.
    static let nearAllowance: UInt64 = 0

    /// The reorder allowance of `peer`'s bundle (ns): what a copy on a slower live path may lag behind one on
    /// the fastest, plus twice the largest jitter and 2 ms. With `singlePath` (the peer sends one copy of its
    /// data: adaptive mode's single, retransmit and parity levels) no copy is on its way on a slower path, and
    /// what is left is the reordering on the one path, a fraction of its delay variation: half the largest RTTVAR
    /// and 2 ms. (The full allowance, 39 ms on the lab's lte links, left a repair no time within 150 ms.)
    func reorderAllowance(_ peer: Peer, singlePath: Bool = false) -> UInt64 {
        let (lowest, highest, jitter) = liveRTTSpread(peer)
        if singlePath { return TunnelEngine.singlePathAllowance(jitter: jitter) }
        let spread = highest > lowest && lowest != .max ? (highest - lowest) / 2 : 0
        return spread + 2 * jitter + 2_000_000
    }

    /// The single-path reorder allowance for an RTT variation of `jitter` (ns): half of it and 2 ms.
    @inline(__always)
    static func singlePathAllowance(jitter: UInt64) -> UInt64 { jitter / 2 + 2_000_000 }

    /// The lowest and highest smoothed RTT over `peer`'s measured live connections and their largest RTT
    /// variation (lowest is `.max` when none is measured): what a copy on a slower path may lag behind.
    func liveRTTSpread(_ peer: Peer) -> (lowest: UInt64, highest: UInt64, jitter: UInt64) {
        var lowest = UInt64.max, highest: UInt64 = 0, jitter: UInt64 = 0
        for c in peer.connections.indices where peer.connections[c].state.isLive {
            let s = peer.connections[c].statistics
            guard s.smoothedRTT > 0 else { continue }
            lowest = min(lowest, s.smoothedRTT)
            highest = max(highest, s.smoothedRTT)
            jitter = max(jitter, s.rttVariation)
        }
        return (lowest, highest, jitter)
    }

    /// Sends `peer` a FEEDBACK when one is due (the rate rule above) into `out`.
    func sendFeedback(_ peer: Peer, peerIndex: Int, now: UInt64, into out: OutboundBatch) {
        let state = peer.receiverFeedback
        guard let session = peer.session, isUsable(session, now: now) else { return }
        if state.session != session.localIndex {
            state.reset(session: session.localIndex)
            return
        }
        // The best live connection, and the best on another link (feedback stays off `never` links, and off a
        // backup while a better link is live: it stays cold).
        var best = -1, second = -1, newestData: UInt64 = 0
        for c in peer.connections.indices {
            newestData = max(newestData, peer.connections[c].lastDataReceived)
            guard mayCarryFeedback(peer, c), best < 0 || peer.ranksAbove(c, best, isRouter: !peer.dials) else { continue }
            best = c
        }
        guard best >= 0 else { return }
        let bestGroup = peer.connections[best].group(isRouter: !peer.dials)
        for c in peer.connections.indices where mayCarryFeedback(peer, c)
            && peer.connections[c].group(isRouter: !peer.dials) != bestGroup {
            if second < 0 || peer.ranksAbove(c, second, isRouter: !peer.dials) { second = c }
        }
        if second >= 0, peer.hasLinkPolicies, peer.policy(of: second, isRouter: !peer.dials).role == .backup,
           peer.policy(of: best, isRouter: !peer.dials).role < .backup {
            second = -1
        }
        let srtt = peer.connections[best].statistics.smoothedRTT
        let summaryInterval = max(250_000_000, 4 * srtt)
        guard newestData != 0, now &- newestData < summaryInterval else { return }  // idle: nothing
        let spacing = max(5_000_000, srtt / 4)
        let highest = session.window.highest
        // NACKs: the aged runs, checked against the window, assembled in the scratch first (most runs of a
        // redundant bundle were filled by the other link's copy, and then nothing is due).
        var ranges = 0
        guard out.hasRoom(datagrams: 2, buffers: 2) else { return }  // the next tick (nothing collected yet)
        state.noteCopies(delivered: peer.counters.delivered, duplicates: peer.counters.duplicates)
        if state.count > 0, now &- state.lastSent >= spacing {
            let singlePath = state.duplicateShare < ReceiverFeedback.copiedShare
            let allowance = reorderAllowance(peer, singlePath: singlePath)
            // (A near run waits the allowance too while the peer sends copies: the other copy is on its way.)
            let near = singlePath ? min(allowance, TunnelEngine.nearAllowance) : allowance
            let allowances = ReceiverFeedback.Allowances(path: allowance, far: max(allowance, reorderAllowance(peer)),
                                                         near: near)
            if state.hasAged(now: now, allowances: allowances) {
                ranges = state.collectLost(into: controlScratch, highest: highest, window: session.window, now: now,
                                           allowances: allowances)
            }
        }
        guard ranges > 0 || now &- state.lastSummary >= summaryInterval else { return }
        let copies = ranges > 0 && second >= 0 ? 2 : 1
        let buffer = out.takeBuffer()
        let body = buffer + WireFormat.transportHeaderSize + ControlHeader.size
        if ranges > 0 {
            (body + FeedbackMessage.fixedSize).copyMemory(from: controlScratch + FeedbackMessage.fixedSize,
                                                          byteCount: ranges * FeedbackMessage.rangeSize)
        }
        var summaries = 0
        for c in peer.connections.indices where summaries < FeedbackMessage.maximumSummaries {
            let connection = peer.connections[c]
            // Every path heard within 2 s, data or not: a path that carries only probes and repairs (the other link
            // of a single-copy plan) still needs its loss known for the next plan.
            guard connection.lastReceived != 0, connection.statistics.sequenceObserved,
                  now &- connection.lastReceived < TunnelEngine.feedbackFreshness else { continue }
            let s = connection.statistics
            let elapsed = now &- connection.feedback.summaryAt
            let rate = connection.feedback.summaryAt == 0 || elapsed == 0 ? 0
                : (s.rxPackets &- connection.feedback.summaryReceived) &* 1_000_000_000 / elapsed
            FeedbackMessage.writeSummary(body, index: summaries, ranges: ranges, FeedbackMessage.PathSummary(
                pathID: connection.remotePathID, loss: s.recentLoss, highestSequence: s.highestSequence,
                silenceMilliseconds: UInt16(min((now &- connection.lastReceived) / 1_000_000, 65535)),
                rate: UInt16(min(rate, 65535)), received: UInt32(truncatingIfNeeded: s.rxPackets)))
            peer.connections[c].feedback.summaryAt = now
            peer.connections[c].feedback.summaryReceived = s.rxPackets
            summaries += 1
        }
        FeedbackMessage.writeHead(body, highest: highest, ranges: ranges, summaries: summaries)
        let bodyLength = FeedbackMessage.fixedSize + ranges * FeedbackMessage.rangeSize
            + summaries * FeedbackMessage.summarySize
        let length = sealControl(kind: FeedbackMessage.kind, bodyLength: bodyLength, peer: peer, connection: best,
                                 in: buffer, now: now)
        out.append(buffer, length: length, slot: peer.connections[best].slot, destination: peer.connections[best].remote,
                   peer: peerIndex, connection: best, pathID: peer.connections[best].pathID)
        if copies == 2 {  // the same message (one counter) as a further copy on the second link
            appendCopy(of: buffer, length: length, session: session, peer: peer, peerIndex: peerIndex, onto: second,
                       purpose: .control, now: now, into: out)
        }
        if ranges > 0 { state.lastSent = now }
        state.lastSummary = now
        peer.counters.feedbackSent += 1
        if ranges > 0 { peer.counters.nacksSent += 1 }
    }

    /// True when connection `c` is live and its link may carry feedback (not `never`).
    @inline(__always)
    private func mayCarryFeedback(_ peer: Peer, _ c: Int) -> Bool {
        peer.connections[c].lastReceived != 0 && peer.connections[c].state.isLive
            && !(peer.hasLinkPolicies && peer.policy(of: c, isRouter: !peer.dials).role == .never)
    }

    // MARK: Sender

    /// A FEEDBACK body from `peer`: takes its path losses, queues its repairs, and notes NACK bursts. False when
    /// it is malformed (nothing used).
    func receiveFeedback(_ body: UnsafeRawPointer, length: Int, from peerIndex: Int, now: UInt64) -> Bool {
        guard let message = FeedbackMessage(body: body, length: length) else { return false }
        let peer = peers[peerIndex]
        peer.counters.feedbackReceived += 1
        for j in 0..<message.summaryCount {
            let summary = message.summary(j)
            for c in peer.connections.indices where peer.connections[c].pathID == summary.pathID {
                peer.connections[c].feedback.take(summary, now: now)
                if peer.stripes != nil { aggregateFeedback(peer, connection: c, summary: summary, now: now) }
            }
        }
        guard message.rangeCount > 0, let ring = peer.replayRing, let session = peer.session else { return true }
        let deadline = policySettings?.deadline ?? 150_000_000
        var queued = false
        for i in 0..<message.rangeCount {
            let range = message.range(i)
            // Counters more than a ring behind the highest are no longer held: look at the newest only.
            let count = min(range.count, ReplayRing.capacity)
            var counter = range.first + UInt64(range.count - count)
            // A range is a run of lost counters; the packets in it that one link carried alone are a loss run of
            // that link (the burst model). Counters not held (probes, control) neither extend nor end a run.
            var runBit: UInt64 = 0, runLength = 0
            while counter < range.first + UInt64(range.count) {
                defer { counter += 1 }
                guard let slot = ring.slot(of: counter, session: session.remoteIndex) else { continue }
                let entry = ring.entry(slot)
                if entry.links.nonzeroBitCount == 1 {
                    noteNack(peer, linkBit: entry.links, counter: counter, now: now)
                    if entry.links != runBit {
                        noteLossRun(peer, linkBit: runBit, length: runLength)
                        runBit = entry.links
                        runLength = 0
                    }
                    runLength += 1
                } else {
                    noteLossRun(peer, linkBit: runBit, length: runLength)
                    runBit = 0
                    runLength = 0
                }
                guard ring.repairable[slot] else { continue }
                guard entry.sentAt &+ deadline > now,
                      let c = repairConnection(peer, carried: entry.links, within: entry.sentAt &+ deadline &- now) else {
                    peer.counters.repairMisses += 1
                    continue
                }
                guard peer.pendingRepairs.add(slot: slot, connection: c) else {
                    peer.counters.repairMisses += 1
                    continue
                }
                ring.markCarried(slot, bit: linkBit(of: c, in: peer))
                queued = true
            }
            noteLossRun(peer, linkBit: runBit, length: runLength)
        }
        if queued { noteControlWork(peerIndex) }
        return true
    }

    /// SRTT/2 + 2 RTTVAR: when a copy sent now on `connection` is expected to arrive (ns from now).
    @inline(__always)
    func expectedOneWay(_ connection: Connection) -> UInt64 {
        connection.statistics.smoothedRTT / 2 + 2 * connection.statistics.rttVariation
    }

    @inline(__always)
    func linkBit(of c: Int, in peer: Peer) -> UInt64 {
        UInt64(1) << UInt64(peer.connections[c].group(isRouter: !peer.dials) & 63)
    }

    /// The connection a repair goes on, `remaining` ns before its deadline, or nil: the best live connection of
    /// a link whose bit is not in `mask` (not `never`, not a backup while a better link is live) when it arrives
    /// in time even late (SRTT/2 + 2 RTTVAR); else the connection of any link, the one that carried it included,
    /// that arrives soonest, when its mean arrival (SRTT/2) is in time: a repair that may just make it is worth its
    /// bytes (a loss at the end of a burst of packets shows only with the next one, 20 ms later). On the lab's lte links (35 and
    /// 50 ms, 8 and 10 ms of jitter) a NACK reaches the sender about 85 ms after the send: only the faster link,
    /// the one that lost the packet, still makes 150 ms, and a loss run of that link is long over by then.
    func repairConnection(_ peer: Peer, carried mask: UInt64, within remaining: UInt64) -> Int? {
        var best: Int?, soonest: Int?, soonestArrival = UInt64.max
        for c in peer.connections.indices where peer.connections[c].lastReceived != 0 && peer.connections[c].state.isLive {
            if peer.hasLinkPolicies && peer.policy(of: c, isRouter: !peer.dials).role == .never { continue }
            let statistics = peer.connections[c].statistics
            if mask & linkBit(of: c, in: peer) == 0, expectedOneWay(peer.connections[c]) <= remaining,
               best == nil || peer.ranksAbove(c, best!, isRouter: !peer.dials) {
                best = c
            }
            let usual = statistics.smoothedRTT / 2
            if usual <= remaining, usual < soonestArrival,
               !(peer.hasLinkPolicies && peer.policy(of: c, isRouter: !peer.dials).role == .backup) {
                soonest = c
                soonestArrival = usual
            }
        }
        return best ?? soonest
    }

    /// Counts a loss run of `length` packets that the link of `linkBit` carried alone (nothing for 0).
    private func noteLossRun(_ peer: Peer, linkBit: UInt64, length: Int) {
        guard linkBit != 0, length > 0 else { return }
        for c in peer.connections.indices where self.linkBit(of: c, in: peer) == linkBit {
            peer.connections[c].feedback.burst.addRun(length)
        }
    }

    /// Counts a NACKed packet (session counter `counter`) that went on the link of `linkBit` alone. In failover
    /// mode, `nackBurstCount` of them within `nackBurstSpan` consecutive counters are a burst: the link's
    /// connections are unhealthy for `nackBurstHold`, so the next tick takes over and replays.
    func noteNack(_ peer: Peer, linkBit: UInt64, counter: UInt64, now: UInt64) {
        var burst = false
        defer { if burst { peer.counters.nackBursts += 1 } }  // once per link, however many connections
        for c in peer.connections.indices where self.linkBit(of: c, in: peer) == linkBit {
            var f = peer.connections[c].feedback
            if f.nackRun == 0 || counter &- f.nackRunStart >= TunnelEngine.nackBurstSpan || counter < f.nackRunStart {
                f.nackRun = 0
                f.nackRunStart = counter
            }
            f.nackRun += 1
            f.nackAt = now
            if f.nackRun >= TunnelEngine.nackBurstCount 
                && ((peer.modeOverride ?? configuration.mode) == .failover || usesFailover) {
                if f.burstUntil <= now { burst = true }
                f.burstUntil = now + TunnelEngine.nackBurstHold
                peer.connections[c].cleanSince = now
            }
            peer.connections[c].feedback = f
        }
    }

    /// Sends the queued repairs of `peerIndex` into `out` (from `flushControl`). False when `out` filled up
    /// (the rest waits for the next call).
    func flushRepairs(of peerIndex: Int, now: UInt64, into out: OutboundBatch) -> Bool {
        let peer = peers[peerIndex]
        let queue = peer.pendingRepairs
        guard queue.count > 0 else { return true }
        guard let ring = peer.replayRing, let session = peer.session else {
            queue.count = 0
            return true
        }
        while queue.count > 0 {
            let slot = queue.slots[queue.count - 1], c = queue.connections[queue.count - 1]
            let entry = ring.entry(slot)
            guard c < peer.connections.count, entry.length > 0, entry.length <= out.bufferSize else {
                queue.count -= 1
                continue
            }
            guard out.hasRoom(datagrams: 1, buffers: 1) else { return false }
            queue.count -= 1
            appendCopy(of: entry.datagram, length: entry.length, session: session, peer: peer, peerIndex: peerIndex,
                       onto: c, purpose: .replay, now: now, into: out)
            peer.counters.repaired += 1
            if entry.policy >= 0 { policyCounts[entry.policy].repairBytes += UInt64(entry.length) }
        }
        return true
    }
}

/// What feedback says about one path (Connection.feedback): the sender's view from the peer's FEEDBACK, and
/// the receiver's state at its last summary.
struct PathFeedback {
    /// The loss of our direction on this path, as the peer reported it, and when (0: never).
    var forwardLoss = 0.0
    var reportedAt: UInt64 = 0
    /// NACK burst detection: NACKed packets counted since the counter `nackRunStart`, the time of the last one,
    /// and (failover) until when the path is unhealthy.
    var nackRun = 0
    var nackRunStart: UInt64 = 0
    var nackAt: UInt64 = 0
    var burstUntil: UInt64 = 0
    /// Receiver: the path's received messages and the time at the last summary (for its rate).
    var summaryReceived: UInt64 = 0
    var summaryAt: UInt64 = 0
    /// Sender: the highest path sequence and the received count of the last summary taken.
    var reportedHighest: UInt32 = 0
    var reportedReceived: UInt32 = 0
    /// The packets the loss average spans so far (up to `lossAveraging`).
    var lossPackets = 0.0
    /// Sender: the loss runs of our direction on this path, from the NACKs (BurstModel.swift).
    var burst = BurstModel()

    /// Packets over which the forward loss is averaged: the receiver's 32-packet figure is too noisy to choose
    /// between repair and duplication at 2% loss (its spread is as large as the loss).
    /// The packets the loss is averaged over, per packet of the path's mean loss run (BurstModel.swift), so the
    /// average always spans about as many runs: 512 at random loss, 2048 at the lte link's runs of 4, where
    /// 512 packets held only 2-3 runs and the average swung between 0.5% and 5% around its 2%, flipping the plan
    /// between repair and duplication.
    static let lossAveraging = 512.0

    /// Folds in a summary: the loss since the previous summary (the path sequences it advanced that the
    /// receiver's message count did not), weighted by that advance, so the average spans about `lossAveraging`
    /// packets whatever the summary rate. The first summary starts from the receiver's recent-loss figure; one
    /// after 2 s without any only takes new counts. (That figure, averaged over 32 packets, was folded in before; but a NACK sends a
    /// FEEDBACK at once, right after a loss, so it was sampled when high: the lab's lte links, losing 2%, were
    /// reported at 4-10%, and lossy2's 2% at about 3%.)
    mutating func take(_ summary: FeedbackMessage.PathSummary, now: UInt64) {
        let advanced = summary.highestSequence &- reportedHighest
        let arrived = summary.received &- reportedReceived
        if reportedAt == 0 {
            forwardLoss = summary.loss
        } else if now &- reportedAt > TunnelEngine.feedbackFreshness {
            // After a pause the counts start afresh; the earlier average stands until they say more.
        } else if advanced > 0, advanced < 1 << 20 {
            let loss = arrived < advanced ? 1 - Double(arrived) / Double(advanced) : 0
            // A plain mean over the first `lossAveraging` packets (a path that carries only probes and repairs
            // takes minutes to fill it), an average over the last that many after.
            lossPackets = min(lossPackets + Double(advanced), PathFeedback.lossAveraging * burst.meanRun)
            forwardLoss += (loss - forwardLoss) * min(1, Double(advanced) / lossPackets)
        }
        reportedHighest = summary.highestSequence
        reportedReceived = summary.received
        reportedAt = now
    }
}

/// A receiver's candidate runs of missing counters for one peer (preallocated; PROTOCOL.md 14.3).
final class ReceiverFeedback {
    static let capacity = 32
    /// The longest run kept: counters further back could not be repaired in time anyway.
    static let longestRun: UInt64 = 4096
    private var firsts = [UInt64](repeating: 0, count: ReceiverFeedback.capacity)
    private var ends = [UInt64](repeating: 0, count: ReceiverFeedback.capacity)
    private var times = [UInt64](repeating: 0, count: ReceiverFeedback.capacity)
    /// How long each run waits before its NACK (`noteCounter`).
    private var waits = [Wait](repeating: .path, count: ReceiverFeedback.capacity)
    private var head = 0
    /// The connection and path sequence of the datagram that carried the highest counter so far.
    private var highestConnection = -1
    private var highestPathSequence: UInt32 = 0
    private(set) var count = 0
    /// The session (our receiver index) the runs belong to.
    private(set) var session: UInt32 = 0
    /// When the last NACK-bearing FEEDBACK left (the spacing rule counts those only: a NACK that waited behind
    /// a summary lost up to SRTT/4, 17 ms on the lab's lte links, of its repair's time) and the last of any.
    var lastSent: UInt64 = 0
    var lastSummary: UInt64 = 0
    /// The share of the peer's new data packets that a second copy followed (0...1, smoothed): below
    /// `copiedShare` the peer sends one copy and the reorder allowance is a single path's.
    private(set) var duplicateShare = 1.0
    private var delivered: UInt64 = 0, duplicates: UInt64 = 0
    static let copiedShare = 0.25
    /// The last NACKed runs (`nackedFirsts[i] ..< nackedEnds[i]`): a counter from one that arrives afterwards was
    /// rescued by a repair (`PeerCounts.deliveredAfterNack`). Looked at only for late packets.
    static let nackedCapacity = 64
    private var nackedFirsts = [UInt64](repeating: 0, count: ReceiverFeedback.nackedCapacity)
    private var nackedEnds = [UInt64](repeating: 0, count: ReceiverFeedback.nackedCapacity)
    private var nackedNext = 0

    /// True when `counter` lies in one of the last NACKed runs of this session.
    func wasNacked(_ counter: UInt64) -> Bool {
        for i in 0..<ReceiverFeedback.nackedCapacity where counter >= nackedFirsts[i] && counter < nackedEnds[i] {
            return true
        }
        return false
    }

    /// Writes the NACK range `first ..< first + count` at `index` of `body` and remembers it (`wasNacked`).
    @inline(__always)
    private func writeNack(_ body: UnsafeMutableRawPointer, index: Int, highest: UInt64, first: UInt64, count: Int) {
        FeedbackMessage.writeRange(body, index: index, highest: highest, first: first, count: count)
        nackedFirsts[nackedNext] = first
        nackedEnds[nackedNext] = first + UInt64(count)
        nackedNext = (nackedNext + 1) % ReceiverFeedback.nackedCapacity
    }

    /// New packets a share is measured over: a second copy arrives after its first (10 ms later on the lab's
    /// lossy2 links), so a share measured per tick (a packet or none) saw the copies of one tick's packets only in
    /// ticks without new packets, and fell to 0 under a redundant stream: the receiver then NACKed each loss of the
    /// faster link 2 ms after the gap, before the slower link's copy came (494 such NACKs in 120 s).
    static let copySample: UInt64 = 32

    /// Folds in the peer's delivered and duplicate counters (every tick): their growth since the last sample.
    func noteCopies(delivered newDelivered: UInt64, duplicates newDuplicates: UInt64) {
        let fresh = newDelivered &- delivered, copies = newDuplicates &- duplicates
        guard fresh >= ReceiverFeedback.copySample else { return }
        delivered = newDelivered
        duplicates = newDuplicates
        guard fresh < 1 << 32 else { return }
        let share = min(1, Double(copies) / Double(fresh))
        duplicateShare += (share - duplicateShare) * min(1, Double(fresh) / 64)
    }

    func reset(session: UInt32) {
        self.session = session
        count = 0
        head = 0
        highestConnection = -1
        for i in 0..<ReceiverFeedback.nackedCapacity { nackedEnds[i] = 0 }
    }

    /// Remembers where the highest counter so far arrived.
    @inline(__always)
    func noteHighest(connection: Int, pathSequence: UInt32) {
        highestConnection = connection
        highestPathSequence = pathSequence
    }

    /// How long a run of missing counters waits before it is NACKed.
    enum Wait {
        /// The reorder allowance (a single path's while the peer sends one copy).
        case path
        /// The full allowance: the counters went on another path (the opening datagram came next after the
        /// highest counter's on the same path, so nothing was sent on that path between the two).
        case far
        /// `TunnelEngine.nearAllowance`: the opening datagram's path, which keeps its order, lost datagrams since
        /// the highest counter's.
        case near
    }

    /// The allowance (ns) of each `Wait`.
    struct Allowances {
        var path: UInt64, far: UInt64, near: UInt64
        @inline(__always)
        func of(_ wait: Wait) -> UInt64 {
            switch wait {
            case .path: path
            case .far: far
            case .near: near
            }
        }
    }

    /// How long the run opened by a datagram on `connection` with `pathSequence` waits: `far` when it came next
    /// after the highest counter's on the same path, `near` when it came further on along that path and the path
    /// keeps its order (`inOrder`), else `path`.
    @inline(__always)
    func wait(connection: Int, pathSequence: UInt32, inOrder: Bool) -> Wait {
        guard connection == highestConnection else { return .path }
        let step = pathSequence &- highestPathSequence
        return step == 1 ? .far : inOrder && step > 1 && step < 0x8000_0000 ? .near : .path
    }

    /// Adds the run `first ..< end` seen missing at `now`; the oldest run goes when all are taken.
    @inline(__always)
    func open(first: UInt64, end: UInt64, now: UInt64, wait: Wait = .path) {
        if count == ReceiverFeedback.capacity {
            head = (head + 1) % ReceiverFeedback.capacity
            count -= 1
        }
        let i = (head + count) % ReceiverFeedback.capacity
        firsts[i] = end - first > ReceiverFeedback.longestRun ? end - ReceiverFeedback.longestRun : first
        ends[i] = end
        times[i] = now
        waits[i] = wait
        count += 1
    }

    /// True when some run has waited its allowance.
    func hasAged(now: UInt64, allowances: Allowances) -> Bool {
        for k in 0..<count {
            let i = (head + k) % ReceiverFeedback.capacity
            if now &- times[i] >= allowances.of(waits[i]) { return true }
        }
        return false
    }

    /// Writes the counters of the aged runs still missing from `window` as NACK ranges into `body` (at most 32)
    /// and forgets those runs (the runs still waiting keep their order); returns the number of ranges.
    func collectLost(into body: UnsafeMutableRawPointer, highest: UInt64, window: ReplayWindow, now: UInt64,
                     allowances: Allowances) -> Int {
        var ranges = 0, kept = 0
        let total = count
        for k in 0..<total {
            let i = (head + k) % ReceiverFeedback.capacity
            guard ranges < FeedbackMessage.maximumRanges, now &- times[i] >= allowances.of(waits[i]) else {
                // Still waiting (or no room in this message): kept, in order.
                let j = (head + kept) % ReceiverFeedback.capacity
                firsts[j] = firsts[i]; ends[j] = ends[i]; times[j] = times[i]; waits[j] = waits[i]
                kept += 1
                continue
            }
            var counter = firsts[i], runStart: UInt64 = 0, runLength = 0
            let end = ends[i]
            while counter < end {
                let missing = window.check(counter, now: now) == .new
                if missing && highest - counter <= UInt64(UInt32.max) {
                    if runLength == 0 { runStart = counter }
                    runLength += 1
                } else if runLength > 0 {
                    guard ranges < FeedbackMessage.maximumRanges else { break }
                    writeNack(body, index: ranges, highest: highest, first: runStart, count: runLength)
                    ranges += 1
                    runLength = 0
                }
                counter += 1
            }
            if runLength > 0 && ranges < FeedbackMessage.maximumRanges {
                writeNack(body, index: ranges, highest: highest, first: runStart, count: runLength)
                ranges += 1
            }
        }
        count = kept
        return ranges
    }
}

/// Repairs waiting to leave for one peer: ring slots and the connection each goes on (preallocated).
final class RepairQueue {
    static let capacity = 64
    var slots = [Int](repeating: 0, count: RepairQueue.capacity)
    var connections = [Int](repeating: 0, count: RepairQueue.capacity)
    var count = 0

    /// Queues a repair; false when the queue is full.
    func add(slot: Int, connection: Int) -> Bool {
        guard count < RepairQueue.capacity else { return false }
        slots[count] = slot
        connections[count] = connection
        count += 1
        return true
    }
}
