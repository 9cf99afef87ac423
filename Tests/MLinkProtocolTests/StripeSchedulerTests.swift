@testable import MLinkProtocol
import MLinkTypes
import XCTest

/// Aggregate mode's sender choices (PROTOCOL.md section 16) on a fake clock: earliest arrival over links of
/// unequal capacity and delay, pacing beside real-time traffic, the capacity estimator, pinning, the stripe chain.
final class StripeSchedulerTests: XCTestCase {
    private let ms: UInt64 = 1_000_000
    /// Links 0 and 1: 50 Mbit/s with 20 ms one-way, 20 Mbit/s with 40 ms (the aggregation bench).
    private func twoLinks() -> StripeScheduler {
        let s = StripeScheduler()
        s.capacity[0] = 6_250_000; s.delay[0] = 20 * ms
        s.capacity[1] = 2_500_000; s.delay[1] = 40 * ms
        return s
    }

    /// Offers `rate` bytes/s of 1400-byte packets for `seconds`; returns packets per link and checks every choice
    /// against the other link's arrival at that moment.
    private func offer(_ s: StripeScheduler, rate: Double, seconds: Double, links: [Int] = [0, 1]) -> [Int] {
        var perLink = [0, 0, 0]
        let bytes = 1400
        let interval = UInt64(Double(bytes) / rate * 1e9)
        var now: UInt64 = 1_000 * ms
        let end = now + UInt64(seconds * 1e9)
        while now < end {
            let arrivals = links.map { s.arrival($0, bytes: bytes, now: now) }
            let link = s.choose(among: links, count: links.count, bytes: bytes, now: now)
            if link >= 0 {
                let chosen = arrivals[links.firstIndex(of: link)!]
                XCTAssertEqual(chosen, arrivals.min()!, "never a later arrival than another link offers")
                s.record(link, bytes: bytes)
                perLink[link] += 1
            }
            now += interval
        }
        return perLink
    }

    func testEarliestArrivalFillsTheFastLinkFirstAndSharesByCapacity() {
        let s = twoLinks()
        let light = offer(s, rate: 4_000_000, seconds: 1)  // 32 Mbit/s: the fast link alone carries it
        XCTAssertEqual(light[1], 0, "no packet on the slow link while the fast one delivers sooner")
        let heavy = offer(twoLinks(), rate: 8_750_000, seconds: 2)  // 70 Mbit/s: the sum
        let share = Double(heavy[0]) / Double(heavy[0] + heavy[1])
        XCTAssertEqual(share, 50.0 / 70.0, accuracy: 0.03, "shared by capacity: \(heavy)")
    }

    func testAQueueTheProbesMeasureSendsPacketsToTheSlowerLink() {
        // The estimate matches what the fast link carries, so the model holds no queue there; but a TCP flow has
        // filled its buffer and the probes see 30 ms of queueing: 20 + 30 ms is later than the slow link's 40 ms.
        let s = twoLinks()
        s.observe(link: 0, carried: 0, queueing: 0, rtt: 40 * ms, probeReplies: 0, now: 900 * ms)
        s.observe(link: 0, carried: 0, queueing: 30 * ms, rtt: 40 * ms, probeReplies: 1, now: 1_000 * ms)
        s.delay[0] = 20 * ms
        XCTAssertEqual(s.queueTime(0, now: 1_000 * ms), 30 * ms)
        let perLink = offer(s, rate: 1_000_000, seconds: 0.1)  // 8 Mbit/s: the model queues nothing anywhere
        XCTAssertEqual(perLink[0], 0, "the fast link's measured queue makes it arrive later: \(perLink)")
        XCTAssertGreaterThan(perLink[1], 0)
        // Once the probes see the queue drained, the fast link is first again.
        s.observe(link: 0, carried: 0, queueing: 0, rtt: 40 * ms, probeReplies: 2, now: 1_200 * ms)
        XCTAssertEqual(s.choose(among: [0, 1], count: 2, bytes: 1400, now: 1_200 * ms), 0)
    }

    func testTheQueueOnTheFastLinkStaysAtTheDelayDifference() {
        let s = twoLinks()
        _ = offer(s, rate: 8_750_000, seconds: 1)
        let fast = s.queue[0] / s.capacity[0] * 1e9, slow = s.queue[1] / s.capacity[1] * 1e9
        XCTAssertLessThanOrEqual(fast, Double(20 * ms) + slow + 1e9 * 1400 / 6_250_000,
                                 "the fast link queues only the slow link's extra delay (plus its queue) ahead")
    }

    func testBulkYieldsToRealTimeByDelay() {
        let s = twoLinks()
        // Link 0 carried 10 kB of non-aggregate data (a call): it carries real-time traffic for a second.
        s.observe(link: 0, carried: 10_000, queueing: 0, rtt: 40 * ms, probeReplies: 0, now: 1_000 * ms)
        s.delay[0] = 20 * ms
        XCTAssertTrue(s.carriesRealtime(0, now: 1_000 * ms))
        var now: UInt64 = 1_000 * ms, worst = 0.0, drops = 0
        for _ in 0..<10_000 {  // 140 Mbit/s offered, twice the sum, for 0.8 s (the call's link stays marked 1 s)
            let link = s.choose(among: [0, 1], count: 2, bytes: 1400, now: now)
            if link < 0 { drops += 1 } else { s.record(link, bytes: 1400) }
            worst = max(worst, Double(s.arrival(0, bytes: 0, now: now) - s.delay[0]))
            now += 80_000
        }
        XCTAssertLessThanOrEqual(worst, Double(StripeScheduler.pacingLimit) + 1e9 * 1400 / 6_250_000,
                                 "the call's link never queues more than 15 ms of bulk")
        XCTAssertEqual(drops, 0, "the other link takes the rest (no call on it)")
        XCTAssertTrue(s.admits(1, bytes: 1400, now: now))
    }

    func testPinnedBulkIsDroppedWhenItsLinkWouldQueuePastTheBound() {
        let s = twoLinks()
        s.observe(link: 0, carried: 10_000, queueing: 0, rtt: 40 * ms, probeReplies: 0, now: 1_000 * ms)
        var admitted = 0
        for _ in 0..<200 where s.admits(0, bytes: 1400, now: 1_000 * ms) {
            s.record(0, bytes: 1400)
            admitted += 1
        }
        // 15 ms at 6.25 MB/s is 93,750 bytes: the call's 10 kB and 59 packets of 1400.
        XCTAssertEqual(admitted, 59)
        XCTAssertEqual(s.pacingDrops, UInt64(200 - admitted))
    }

    func testCapacityGrowsWhileNoQueueBuildsAndFallsToTheRateWhenOneDoes() {
        let s = StripeScheduler()
        var now: UInt64 = 1_000 * ms, carried: UInt64 = 0, replies: UInt64 = 0
        s.observe(link: 0, carried: 0, queueing: 0, rtt: 20 * ms, probeReplies: 0, now: now)
        // Each 100 ms window carries what the estimate allows, with no queue and a fresh probe reply.
        for _ in 0..<4 {
            carried += UInt64(s.capacity[0] / 10)
            now += 100 * ms
            replies += 1
            s.observe(link: 0, carried: carried, queueing: 1 * ms, rtt: 20 * ms, probeReplies: replies, now: now)
        }
        XCTAssertEqual(s.capacity[0], StripeScheduler.initialCapacity * 1.5 * 1.5 * 1.5 * 1.5, accuracy: 1)
        // Without a new probe reply nothing changes.
        carried += UInt64(s.capacity[0] / 10)
        now += 100 * ms
        s.observe(link: 0, carried: carried, queueing: 30 * ms, rtt: 20 * ms, probeReplies: replies, now: now)
        XCTAssertEqual(s.capacity[0], StripeScheduler.initialCapacity * 5.0625, accuracy: 1)
        // A queue: 4 MB/s carried while it grows, so the capacity is 0.9 x 4 MB/s.
        carried += 400_000
        now += 100 * ms
        replies += 1
        s.observe(link: 0, carried: carried, queueing: 30 * ms, rtt: 20 * ms, probeReplies: replies, now: now)
        XCTAssertEqual(s.capacity[0], 3_600_000, accuracy: 1)
        XCTAssertEqual(s.rate[0], 4_000_000, accuracy: 1)
        // The flow ends: idle windows with the trend its queue left keep the estimate (main's fell to the
        // 64 kB/s minimum within a second, and the next flows were pinned elsewhere).
        for _ in 0..<10 {
            now += 100 * ms
            replies += 1
            s.observe(link: 0, carried: carried, queueing: 30 * ms, rtt: 20 * ms, probeReplies: replies, now: now)
        }
        XCTAssertEqual(s.rate[0], 0)
        XCTAssertEqual(s.capacity[0], 3_600_000, accuracy: 1)
    }

    func testFlowsArePinnedByTheShareTheyWouldGet() {
        let s = twoLinks()
        let pins = (0..<7).map { _ in s.pin(among: [0, 1], count: 2) }
        XCTAssertEqual(pins, [0, 0, 1, 0, 0, 0, 1], "6.25 and 2.5 MB/s: five flows and two")
    }

    func testAFlowIsStripedOnlyAboveWhatItsLinkCarries() {
        let s = twoLinks()
        XCTAssertFalse(s.stripes(flowRate: 5_000_000, on: 0, wasStriped: false), "80% of the link: pinned")
        XCTAssertTrue(s.stripes(flowRate: 6_000_000, on: 0, wasStriped: false), "96%: striped")
        XCTAssertTrue(s.stripes(flowRate: 5_000_000, on: 0, wasStriped: true), "and stays striped")
        XCTAssertTrue(s.stripes(flowRate: 100_000, on: 0, wasStriped: true),
                      "however slow: its later packets must not overtake its earlier ones on the slow link")
    }

    func testTheStripeChainNamesThePreviousStripedCounter() {
        let s = StripeScheduler()
        XCTAssertEqual(s.distance(counter: 10, session: 5), 255, "the first of the session")
        XCTAssertEqual(s.distance(counter: 12, session: 5), 2)
        XCTAssertEqual(s.distance(counter: 13, session: 5), 1)
        XCTAssertEqual(s.distance(counter: 13 + 254, session: 5), 254)
        XCTAssertEqual(s.distance(counter: 13 + 254 + 255, session: 5), 255, "255 or more back: no predecessor")
        XCTAssertEqual(s.distance(counter: 600, session: 6), 255, "a new session starts a chain")
    }

    /// PROTOCOL.md section 16's example header: counter 12, distance 2, path id 0x0100, receiver index
    /// 0x01020304, path sequence 7.
    func testTheDocumentsHeaderExample() {
        let s = StripeScheduler()
        _ = s.distance(counter: 10, session: 1)
        let header = UnsafeMutableRawPointer.allocate(byteCount: 28, alignment: 8)
        defer { header.deallocate() }
        TransportHeader(type: .data, pathID: 0x0100, receiverIndex: 0x0102_0304, counter: 12, pathSequence: 7).write(to: header)
        header.storeBytes(of: s.distance(counter: 12, session: 1), toByteOffset: 1, as: UInt8.self)
        let bytes = [UInt8](UnsafeRawBufferPointer(start: header, count: 20))
        XCTAssertEqual(bytes, [0x04, 0x02, 0x00, 0x01, 0x04, 0x03, 0x02, 0x01, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0x07, 0, 0, 0])
        XCTAssertEqual(TransportHeader.read(from: header, length: 44)?.counter, 12, "a data header with a distance parses")
        header.storeBytes(of: WireFormat.MessageType.probe.rawValue, as: UInt8.self)
        XCTAssertNil(TransportHeader.read(from: header, length: 44), "any other type with byte 1 set is malformed")
    }
}
