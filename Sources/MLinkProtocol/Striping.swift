/// The sender's side of aggregate mode for one peer (PROTOCOL.md section 16, "the sender's choice"): a capacity
/// and queue estimate per host-side link, flow pinning by spare capacity, earliest-arrival choice for striped
/// packets, and delay-based pacing on links that carry real-time traffic. Sans-I/O and allocation-free after
/// `init`: the engine feeds it what the links carried (each tick) and what the peer's FEEDBACK says they
/// delivered (each summary), and asks it per packet.
///
/// The arrival a packet is scheduled by is the link's *base* one-way delay (half its lowest smoothed RTT of the
/// last 10-20 s) plus the queue the sender itself put there, drained at the capacity estimate: a smoothed RTT
/// already holds the queue, and counting it twice sent packets to the slower link after its queue had grown.
/// The capacity comes from the receiver's count of what each path delivered (FEEDBACK summaries, §14.3) when it
/// is fresh: a link that lost more than 3% of what it was sent, or whose probes queued, was full, and what it delivered is its capacity;
/// one that lost nothing carried at least what it delivered, and is probed 10% higher when that was nearly the
/// estimate. Without FEEDBACK (an older
/// peer) the probes' forward delay trend decides, as before.
final class StripeScheduler {
    static let links = 256
    /// Capacity bounds and start (bytes/s).
    static let initialCapacity = 1_250_000.0
    static let minimumCapacity = 64_000.0
    static let maximumCapacity = 1_250_000_000.0
    /// The estimator's window (ns) and its delay thresholds (ns).
    static let window: UInt64 = 100_000_000
    static let fullQueue: UInt64 = 10_000_000
    static let emptyQueue: UInt64 = 3_000_000
    /// A real-time-carrying link's queue bound for bulk (ns).
    static let pacingLimit: UInt64 = 15_000_000
    /// A link carries real-time traffic until this long after the last non-aggregate data it carried (ns).
    static let realtimeHold: UInt64 = 1_000_000_000
    /// A flow is striped above this share of its link's capacity.
    static let stripeAbove = 0.9
    /// FEEDBACK rules: a link that delivered less than this share of the messages sent on it over a summary
    /// interval is full (3% loss); summaries closer than `feedbackSpan` are folded into the next; a link's FEEDBACK
    /// estimate is fresh for `feedbackFreshness` (then the probes' trend decides again).
    static let fullDelivery = 0.97
    static let probeUp = 1.1
    static let feedbackSpan: UInt64 = 50_000_000
    static let feedbackFreshness: UInt64 = 1_000_000_000
    /// The base delay is the lowest RTT/2 of the current and the previous span of this length (ns).
    static let baseSpan: UInt64 = 10_000_000_000

    /// Estimated capacity (bytes/s), queued bytes, and when the queue was last drained.
    var capacity = [Double](repeating: StripeScheduler.initialCapacity, count: StripeScheduler.links)
    private(set) var queue = [Double](repeating: 0, count: StripeScheduler.links)
    private var queueAt = [UInt64](repeating: 0, count: StripeScheduler.links)
    /// Base one-way delay (ns): half the lowest smoothed RTT of this span and the previous one.
    var delay = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var lowestNow = [UInt64](repeating: .max, count: StripeScheduler.links)
    private var lowestBefore = [UInt64](repeating: .max, count: StripeScheduler.links)
    private var spanStart: UInt64 = 0
    /// FEEDBACK state per link: the path its summaries name, the last summary's arrival, the receiver's message
    /// count then, and what the path had been sent by then (messages and bytes, cumulative).
    private var feedbackPath = [UInt16](repeating: 0, count: StripeScheduler.links)
    private var feedbackAt = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var feedbackHighest = [UInt32](repeating: 0, count: StripeScheduler.links)
    private var feedbackReceived = [UInt32](repeating: 0, count: StripeScheduler.links)
    private var lossAt = [UInt64](repeating: 0, count: StripeScheduler.links)
    /// The probes' forward delay trend (ns): a queue the link built that losses do not show yet.
    private var probeQueue = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var feedbackSentPackets = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var feedbackSentBytes = [UInt64](repeating: 0, count: StripeScheduler.links)
    /// When the link's capacity last came from a summary (0: never), and what it delivered then (bytes/s).
    private var feedbackUsed = [UInt64](repeating: 0, count: StripeScheduler.links)
    private(set) var delivered = [Double](repeating: 0, count: StripeScheduler.links)
    /// What the link carried per second over the last window (bytes/s).
    private(set) var rate = [Double](repeating: 0, count: StripeScheduler.links)
    private var carriedTotal = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var added = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var windowStart = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var windowBytes = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var replies = [UInt64](repeating: 0, count: StripeScheduler.links)
    private var realtimeUntil = [UInt64](repeating: 0, count: StripeScheduler.links)
    /// Flows pinned to the link recently (halves about every second).
    private var pins = [Double](repeating: 0, count: StripeScheduler.links)

    /// The counter of the last striped packet sent in `stripeSession` (the chain of section 16).
    var lastStriped: UInt64 = 0
    var stripeSession: UInt32 = 0
    /// Packets striped, and bulk packets dropped by pacing (every link over its bound).
    private(set) var stripedPackets: UInt64 = 0
    private(set) var pacingDrops: UInt64 = 0
    /// While striping (a second after the last striped packet) the links are probed at their RTT-scaled
    /// interval even when data flows both ways: the capacity estimate lives on their delay trend.
    private(set) var stripingUntil: UInt64 = 0
    func isStriping(now: UInt64) -> Bool { stripingUntil > now }

    init() {}

    // MARK: Per tick: what each link carried

    /// Folds in link `link`'s state at `now`: `carried`, the cumulative data, copy and parity bytes sent on it;
    /// `queueing`, its forward delay trend (ns); `rtt`, its smoothed RTT (ns); `probeReplies`, cumulative (a new
    /// one means `queueing` is fresh).
    func observe(link: Int, carried: UInt64, queueing: UInt64, rtt: UInt64, probeReplies: UInt64, now: UInt64) {
        let delta = carried &- carriedTotal[link]
        let other = delta > added[link] ? delta - added[link] : 0
        carriedTotal[link] = carried
        added[link] = 0
        noteDelay(link, rtt: rtt, now: now)
        probeQueue[link] = queueing
        drain(link, now: now)
        queue[link] += Double(other)
        if other > 0 { realtimeUntil[link] = now &+ StripeScheduler.realtimeHold }
        if windowStart[link] == 0 {
            windowStart[link] = now
            replies[link] = probeReplies
            return
        }
        windowBytes[link] &+= delta
        let elapsed = now &- windowStart[link]
        guard elapsed >= StripeScheduler.window else { return }
        let r = Double(windowBytes[link]) * 1e9 / Double(elapsed)
        rate[link] = r
        pins[link] *= 0.93
        windowStart[link] = now
        windowBytes[link] = 0
        guard probeReplies != replies[link] else { return }
        replies[link] = probeReplies
        guard feedbackUsed[link] == 0 || now &- feedbackUsed[link] > StripeScheduler.feedbackFreshness else { return }
        var c = capacity[link]
        if queueing > StripeScheduler.fullQueue {
            // Only a link sent at least half its estimate says what it carries: an idle one (a flow ended, its
            // FEEDBACK stale) with the trend its last queue left would fall to the minimum (r = 0), and the next
            // flows would shun it while it probes back up.
            if r >= 0.5 * c { c = min(c, r) * 0.9 }
        } else if queueing < StripeScheduler.emptyQueue, r >= 0.8 * c {
            c *= 1.5
        }
        capacity[link] = min(max(c, StripeScheduler.minimumCapacity), StripeScheduler.maximumCapacity)
    }

    /// A FEEDBACK path summary for `link` (PROTOCOL.md section 14.3): on path `pathID`, the highest path sequence
    /// the receiver had and its cumulative message count; `sentPackets` and `sentBytes` are what the path has
    /// been sent by now (cumulative, for the mean message size). Over the messages sent between the previous
    /// summary's highest sequence and this one's (in flight ones are not counted), a loss above 3% or a queue
    /// in the probes' delay trend (over 10 ms) while it was sent at least 80% of the estimate means the link is
    /// full, and what it delivered per second is its capacity; without loss the capacity is at least what it delivered, and 10% more when that was nearly the
    /// estimate.
    func feedback(link: Int, pathID: UInt16, highest: UInt32, received: UInt32, sentPackets: UInt64,
                  sentBytes: UInt64, now: UInt64) {
        let previous = feedbackAt[link]
        // A summary more than a second after the previous one (the peer sends them only while data arrives) starts
        // afresh: spread over the idle time, what the link delivered says nothing of its capacity.
        let baseline = previous == 0 || pathID != feedbackPath[link] || now &- previous > StripeScheduler.feedbackFreshness
        if baseline {
            // A link's first summary, or another path of it: a baseline only (one path per link is followed,
            // another takes over when it has been silent for the freshness time).
            guard previous == 0 || now &- previous > StripeScheduler.feedbackFreshness else { return }
            feedbackPath[link] = pathID
        } else {
            guard now &- previous >= StripeScheduler.feedbackSpan else { return }
        }
        let elapsed = now &- previous
        let sent = highest &- feedbackHighest[link], got = received &- feedbackReceived[link]  // u32, wrapping
        let packets = sentPackets &- feedbackSentPackets[link], bytes = sentBytes &- feedbackSentBytes[link]
        feedbackAt[link] = now
        feedbackHighest[link] = highest
        feedbackReceived[link] = received
        feedbackSentPackets[link] = sentPackets
        feedbackSentBytes[link] = sentBytes
        guard !baseline else { return }
        // Bulk only: a few probes a second say nothing of a capacity; a sequence that went back is a new path.
        guard sent >= 16, sent < 1 << 31, packets > 0 else { return }
        let size = Double(bytes) / Double(packets)
        let d = Double(min(got, sent)) * size * 1e9 / Double(elapsed)
        delivered[link] = d
        var c = capacity[link]
        // What was lost never queued: the model's queue forgets it (else it grows past the real one after
        // every overflow, and the next packets shun a link whose queue is in fact short).
        drain(link, now: now)
        queue[link] = max(0, queue[link] - Double(sent - min(got, sent)) * size)
        let full = Double(got) < StripeScheduler.fullDelivery * Double(sent) || probeQueue[link] > StripeScheduler.fullQueue
        // Full says what the link can carry only when it was sent nearly the estimate: a loss or a probe queue
        // under a light load is someone else's (or the last burst's), and taking what it delivered then would
        // shrink the estimate, keep the link unused and shrink it again.
        if full, Double(sent) * size * 1e9 / Double(elapsed) >= 0.8 * c {
            c = max(d, c / 2)  // at most halved per summary: one odd interval does not empty a link
            lossAt[link] = now
        } else if !full {
            let probe = d >= 0.8 * c && now &- lossAt[link] > 2 * elapsed
            c = max(c, d) * (probe ? StripeScheduler.probeUp : 1)
        }
        capacity[link] = min(max(c, StripeScheduler.minimumCapacity), StripeScheduler.maximumCapacity)
        feedbackUsed[link] = now
    }

    /// True when `link` carried non-aggregate data within the last second.
    func carriesRealtime(_ link: Int, now: UInt64) -> Bool { realtimeUntil[link] > now }

    // MARK: Per packet

    /// The link a new flow is pinned to among `links[0..<count]`: the largest share a new flow would get there,
    /// spare capacity (capacity minus what the link carries, at least a tenth of the capacity) over the flows
    /// pinned to it recently plus one; the lower delay on a tie.
    func pin(among links: [Int], count: Int) -> Int {
        var best = -1, bestShare = -Double.infinity
        for i in 0..<count {
            let l = links[i]
            let share = max(capacity[l] - rate[l], capacity[l] / 10) / (pins[l] + 1)
            if best < 0 || share > bestShare || (share == bestShare && delay[l] < delay[best]) {
                best = l
                bestShare = share
            }
        }
        if best >= 0 { pins[best] += 1 }
        return best
    }

    /// Whether a flow of `flowRate` bytes/s on `link` is striped. A flow once striped stays striped while it
    /// lives: its packets stay in the chain, so none sent on one link after the flow slowed down overtakes the
    /// flow's earlier packets still queued on a slower link (TCP took that reordering for loss). At a low rate
    /// the earliest arrival keeps it on one link anyway.
    @inline(__always)
    func stripes(flowRate: Double, on link: Int, wasStriped: Bool) -> Bool {
        wasStriped || flowRate > capacity[link] * StripeScheduler.stripeAbove
    }

    /// When a packet of `bytes` put on `link` now would arrive (ns from now): delay + queue + bytes / capacity,
    /// where the queue is the larger of the model's (what this scheduler put there beyond the capacity estimate)
    /// and the one the probes measure (the forward delay trend). The model alone misses a queue built at the
    /// estimate: a TCP flow that fills the fast link's buffer while the estimate matches its rate queues there
    /// for tens of ms the model does not see, and never spills onto the slower link (one flow at 0.9x the
    /// better link in 1 of 3 runs).
    @inline(__always)
    func arrival(_ link: Int, bytes: Int, now: UInt64) -> UInt64 {
        drain(link, now: now)
        let queued = max(UInt64(queue[link] / capacity[link] * 1e9), probeQueue[link])
        return delay[link] &+ queued &+ UInt64(Double(bytes) / capacity[link] * 1e9)
    }

    /// The link for a striped packet of `bytes` among `links[0..<count]`: the earliest arrival, skipping links
    /// that carry real-time traffic and whose queue would pass the pacing bound. -1: every link is over it (the
    /// packet is dropped and counted).
    func choose(among links: [Int], count: Int, bytes: Int, now: UInt64) -> Int {
        var best = -1, bestArrival = UInt64.max
        for i in 0..<count {
            let l = links[i]
            let at = arrival(l, bytes: bytes, now: now)
            if carriesRealtime(l, now: now), at &- delay[l] > StripeScheduler.pacingLimit { continue }
            if at < bestArrival {
                best = l
                bestArrival = at
            }
        }
        if best < 0 { pacingDrops += 1 } else { stripedPackets += 1 }
        stripingUntil = now &+ 1_000_000_000
        return best
    }

    /// Whether a pinned bulk packet may go on `link` now (the pacing bound); false counts a pacing drop.
    func admits(_ link: Int, bytes: Int, now: UInt64) -> Bool {
        guard carriesRealtime(link, now: now) else { return true }
        if arrival(link, bytes: bytes, now: now) &- delay[link] <= StripeScheduler.pacingLimit { return true }
        pacingDrops += 1
        return false
    }

    /// The queue the model holds on `link` at `now` (ns at the capacity estimate).
    func queueTime(_ link: Int, now: UInt64) -> UInt64 { arrival(link, bytes: 0, now: now) &- delay[link] }

    /// Records a packet of `bytes` put on `link` by this scheduler.
    @inline(__always)
    func record(_ link: Int, bytes: Int) {
        queue[link] += Double(bytes)
        added[link] &+= UInt64(bytes)
    }

    /// The stripe distance of a striped packet with `counter` in `session` (byte 1, section 16), and it joins
    /// the chain.
    @inline(__always)
    func distance(counter: UInt64, session: UInt32) -> UInt8 {
        defer {
            lastStriped = counter
            stripeSession = session
        }
        guard session == stripeSession, lastStriped != 0, counter > lastStriped, counter - lastStriped < 255 else {
            return ReorderBuffer.noPredecessor
        }
        return UInt8(counter - lastStriped)
    }

    /// Folds a smoothed RTT into the link's base delay (the lowest of two spans, so a route that lengthens is
    /// taken within two spans).
    private func noteDelay(_ link: Int, rtt: UInt64, now: UInt64) {
        if now &- spanStart >= StripeScheduler.baseSpan {
            spanStart = now
            for l in 0..<StripeScheduler.links {  // element-wise: no copy-on-write allocation
                lowestBefore[l] = lowestNow[l]
                lowestNow[l] = .max
            }
        }
        guard rtt > 0 else { return }
        lowestNow[link] = min(lowestNow[link], rtt)
        delay[link] = min(lowestNow[link], lowestBefore[link]) / 2
    }

    @inline(__always)
    private func drain(_ link: Int, now: UInt64) {
        if now > queueAt[link] {
            queue[link] = max(0, queue[link] - capacity[link] * Double(now - queueAt[link]) / 1e9)
        }
        queueAt[link] = now
    }
}
