@testable import MLinkProtocol
import XCTest

/// Aggregate mode's capacity estimate from the receiver's FEEDBACK (PROTOCOL.md sections 14.3 and 16) on a fake
/// clock: the summary rules one by one, then two emulated links of unequal rate and delay, each a FIFO with a
/// bounded queue, under a load of their sum: the estimates converge and striped packets arrive nearly in order.
final class StripeSchedulerFeedbackTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    /// A summary of link 0 at `now`: the receiver had `highest` and `received` messages; the path was sent
    /// `highest` messages of 1400 bytes by then.
    private func summary(_ s: StripeScheduler, highest: UInt32, received: UInt32, now: UInt64) {
        s.feedback(link: 0, pathID: 0x0100, highest: highest, received: received, sentPackets: UInt64(highest),
                   sentBytes: UInt64(highest) * 1400, now: now)
    }

    func testAFullLinkDeliversItsCapacityAndAnUnusedOneKeepsItsEstimate() {
        let s = StripeScheduler()
        summary(s, highest: 1000, received: 1000, now: 1_000 * ms)  // the baseline
        XCTAssertEqual(s.capacity[0], StripeScheduler.initialCapacity, "a first summary only sets the baseline")
        // 1000 sent in 250 ms, 800 of them arrived: full; it delivered 800 x 1400 B / 0.25 s.
        summary(s, highest: 2000, received: 1800, now: 1_250 * ms)
        XCTAssertEqual(s.capacity[0], 4_480_000, accuracy: 1)
        XCTAssertEqual(s.delivered[0], 4_480_000, accuracy: 1)
        // 100 sent, all arrived: the link carried less than it can; the estimate stays (no spiral down).
        summary(s, highest: 2100, received: 1900, now: 1_500 * ms)
        XCTAssertEqual(s.capacity[0], 4_480_000, accuracy: 1)
        // Nearly the estimate, all arrived, but a loss 500 ms ago: no probing yet.
        summary(s, highest: 2800, received: 2600, now: 1_750 * ms)
        XCTAssertEqual(s.capacity[0], 4_480_000, accuracy: 1)
        // Again, and the loss is more than two intervals old: 10% more.
        summary(s, highest: 3500, received: 3300, now: 2_000 * ms)
        XCTAssertEqual(s.capacity[0], 4_480_000 * 1.1, accuracy: 1)
        // More than the estimate arrived without loss: the capacity is at least that.
        summary(s, highest: 5000, received: 4800, now: 2_250 * ms)
        XCTAssertEqual(s.capacity[0], 1500 * 1400 / 0.25 * 1.1, accuracy: 1)
    }

    func testAQueueInTheProbesMakesTheLinkFullWithoutLoss() {
        let s = StripeScheduler()
        summary(s, highest: 1000, received: 1000, now: 1_000 * ms)
        s.observe(link: 0, carried: 0, queueing: 25 * ms, rtt: 60 * ms, probeReplies: 1, now: 1_100 * ms)
        summary(s, highest: 1500, received: 1500, now: 1_250 * ms)
        XCTAssertEqual(s.capacity[0], 500 * 1400 / 0.25, accuracy: 1, "what it delivered while queueing")
        XCTAssertEqual(s.delay[0], 30 * ms, "the base delay is half the lowest RTT")
        s.observe(link: 0, carried: 0, queueing: 0, rtt: 100 * ms, probeReplies: 2, now: 1_300 * ms)
        XCTAssertEqual(s.delay[0], 30 * ms, "a queue in the RTT does not raise the base delay")
    }

    func testSummariesOfAnotherPathOrTooCloseTogetherAreNotMixedIn() {
        let s = StripeScheduler()
        summary(s, highest: 1000, received: 1000, now: 1_000 * ms)
        summary(s, highest: 1100, received: 1000, now: 1_010 * ms)
        XCTAssertEqual(s.capacity[0], StripeScheduler.initialCapacity, "10 ms apart: folded into the next")
        s.feedback(link: 0, pathID: 0x0101, highest: 10, received: 1, sentPackets: 10, sentBytes: 14_000,
                   now: 1_300 * ms)
        XCTAssertEqual(s.capacity[0], StripeScheduler.initialCapacity, "another path of the link is ignored")
        summary(s, highest: 2000, received: 1500, now: 1_500 * ms)
        XCTAssertEqual(s.capacity[0], 500 * 1400 / 0.5, accuracy: 1, "the followed path's interval spans 500 ms")
    }

    /// One emulated link: a FIFO at `rate` bytes/s holding at most `queueLimit` ns, then `delay` ns.
    private struct EmulatedLink {
        let rate: Double, delay: UInt64, queueLimit: UInt64
        var busyUntil: UInt64 = 0, sent: UInt32 = 0
        var arrivals: [(at: UInt64, sequence: UInt32)] = []
        /// The arrival time of a packet of `bytes` offered at `now`, nil when the queue is full (dropped).
        mutating func offer(bytes: Int, now: UInt64) -> UInt64? {
            sent += 1
            let start = max(now, busyUntil)
            guard start - now <= queueLimit else { return nil }
            busyUntil = start + UInt64(Double(bytes) / rate * 1e9)
            arrivals.append((busyUntil + delay, sent))
            return busyUntil + delay
        }
        /// What the receiver had at `now`: the highest path sequence and the messages received.
        func received(by now: UInt64) -> (highest: UInt32, count: UInt32) {
            var highest: UInt32 = 0, count: UInt32 = 0
            for a in arrivals where a.at <= now {
                highest = max(highest, a.sequence)
                count += 1
            }
            return (highest, count)
        }
    }

    func testTwoUnequalLinksUnderTheirSumConvergeAndArriveNearlyInOrder() {
        let (s, p99, carried) = emulate(feedback: true)
        XCTAssertEqual(s.capacity[0], 6_250_000, accuracy: 6_250_000 * 0.15, "the fast link's estimate")
        XCTAssertEqual(s.capacity[1], 2_500_000, accuracy: 2_500_000 * 0.15, "the slow link's estimate")
        XCTAssertLessThanOrEqual(p99, ReorderBuffer.waitCap / 2, "p99 lateness behind a later packet")
        XCTAssertGreaterThanOrEqual(carried, 0.9, "carried of the sum")
        // The probes alone (no FEEDBACK, the estimator before) follow the queue too late: worse on both counts.
        let (old, oldP99, oldCarried) = emulate(feedback: false)
        XCTAssertLessThan(p99, oldP99)
        XCTAssertLessThan(oldCarried, carried)
        print("emulated with FEEDBACK: capacity \(s.capacity[0]) / \(s.capacity[1]) B/s, p99 lateness "
              + "\(Double(p99) / 1e6) ms, carried \(carried) of the sum; probes only: capacity \(old.capacity[0]) / "
              + "\(old.capacity[1]) B/s, p99 lateness \(Double(oldP99) / 1e6) ms, carried \(oldCarried)")
    }

    /// 50 Mbit/s with 20 ms one-way and 20 Mbit/s with 40 ms (the bench), 100 ms queues, offered their
    /// sum for 6 s from the initial 10 Mbit/s estimates; returns the scheduler, the p99 of how late a packet
    /// landed behind one sent after it over the last 3 s, and the share of the sum carried then.
    private func emulate(feedback: Bool) -> (StripeScheduler, UInt64, Double) {
        var links = [EmulatedLink(rate: 6_250_000, delay: 20 * ms, queueLimit: 100 * ms),
                     EmulatedLink(rate: 2_500_000, delay: 40 * ms, queueLimit: 100 * ms)]
        let s = StripeScheduler()
        let bytes = 1400, interval = UInt64(Double(bytes) / 8_750_000 * 1e9)  // the sum, 70 Mbit/s
        var now: UInt64 = 1_000 * ms, nextTick = now, nextSummary = now, replies: UInt64 = 0
        var carried = [UInt64](repeating: 0, count: 2)
        var sentAt: [(sent: UInt64, arrival: UInt64)] = []
        let end = now + 6_000 * ms, measureFrom = now + 3_000 * ms
        while now < end {
            if now >= nextTick {  // the engine's tick: RTT and queueing from a probe every 10 ms
                for l in 0..<2 {
                    let queue = links[l].busyUntil > now ? links[l].busyUntil - now : 0
                    replies += 1
                    s.observe(link: l, carried: carried[l], queueing: queue, rtt: 2 * links[l].delay + queue,
                              probeReplies: replies, now: now)
                }
                nextTick += 10 * ms
            }
            if feedback, now >= nextSummary {  // a FEEDBACK summary every 250 ms, as the receiver had it 20 ms ago
                for l in 0..<2 {
                    let (highest, count) = links[l].received(by: now - 20 * ms)
                    s.feedback(link: l, pathID: UInt16(l) << 8, highest: highest, received: count,
                               sentPackets: UInt64(links[l].sent), sentBytes: UInt64(links[l].sent) * UInt64(bytes),
                               now: now)
                }
                nextSummary += 250 * ms
            }
            let link = s.choose(among: [0, 1], count: 2, bytes: bytes, now: now)
            XCTAssertGreaterThanOrEqual(link, 0)
            s.record(link, bytes: bytes)
            carried[link] += UInt64(bytes)
            if let arrival = links[link].offer(bytes: bytes, now: now), now >= measureFrom {
                sentAt.append((now, arrival))
            }
            now += interval
        }
        // How late each packet lands behind one sent after it (what the receiver's buffer must hide).
        var earliestLater: UInt64 = 0, lateness: [UInt64] = []
        for p in sentAt.reversed() {  // from the last sent: `earliestLater` is the earliest arrival of those sent later
            lateness.append(earliestLater != 0 && p.arrival > earliestLater ? p.arrival - earliestLater : 0)
            earliestLater = earliestLater == 0 ? p.arrival : min(earliestLater, p.arrival)
        }
        lateness.sort()
        return (s, lateness[lateness.count * 99 / 100], Double(sentAt.count) * Double(bytes) / 3.0 / 8_750_000)
    }
}
