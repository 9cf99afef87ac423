/// The sender's side of aggregate mode for one peer (PROTOCOL.md section 16, "the sender's choice"): a capacity
/// and queue estimate per host-side link, flow pinning by spare capacity, earliest-arrival choice for striped
/// packets, and delay-based pacing on links that carry real-time traffic. Sans-I/O and allocation-free after
/// `init`: the engine feeds it what the links carried (each tick) and asks it per packet.
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
    /// A flow is striped above this share of its link's capacity, and pinned again below the second.
    static let stripeAbove = 0.9
    static let stripeBelow = 0.7

    /// Estimated capacity (bytes/s), queued bytes, and when the queue was last drained.
    var capacity = [Double](repeating: StripeScheduler.initialCapacity, count: StripeScheduler.links)
    private(set) var queue = [Double](repeating: 0, count: StripeScheduler.links)
    private var queueAt = [UInt64](repeating: 0, count: StripeScheduler.links)
    /// One-way delay (ns), from the link's smoothed RTT.
    var delay = [UInt64](repeating: 0, count: StripeScheduler.links)
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
        delay[link] = rtt / 2
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
        var c = capacity[link]
        if queueing > StripeScheduler.fullQueue {
            c = min(c, r) * 0.9
        } else if queueing < StripeScheduler.emptyQueue, r >= 0.8 * c {
            c *= 1.5
        }
        capacity[link] = min(max(c, StripeScheduler.minimumCapacity), StripeScheduler.maximumCapacity)
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

    /// Whether a flow of `flowRate` bytes/s on `link` is striped (hysteresis: `wasStriped` lowers the bar).
    @inline(__always)
    func stripes(flowRate: Double, on link: Int, wasStriped: Bool) -> Bool {
        flowRate > capacity[link] * (wasStriped ? StripeScheduler.stripeBelow : StripeScheduler.stripeAbove)
    }

    /// When a packet of `bytes` put on `link` now would arrive (ns from now): delay + queue / capacity.
    @inline(__always)
    func arrival(_ link: Int, bytes: Int, now: UInt64) -> UInt64 {
        drain(link, now: now)
        return delay[link] &+ UInt64((queue[link] + Double(bytes)) / capacity[link] * 1e9)
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

    @inline(__always)
    private func drain(_ link: Int, now: UInt64) {
        if now > queueAt[link] {
            queue[link] = max(0, queue[link] - capacity[link] * Double(now - queueAt[link]) / 1e9)
        }
        queueAt[link] = now
    }
}
