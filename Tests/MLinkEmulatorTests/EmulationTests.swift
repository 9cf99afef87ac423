import MLinkTypes
import XCTest
@testable import MLinkEmulator

final class EmulationTests: XCTestCase {
    func testSettingsParseAndPrintBack() throws {
        var emulation = Emulation()
        for word in ["delay=40ms", "jitter=10ms", "distribution=uniform", "loss=2%", "ge=0.5%/25%", "rate=2mbit",
                     "queue=50ms", "flap=2s/1s"] {
            try emulation.apply(word)
        }
        XCTAssertEqual(emulation.delay, 0.04, accuracy: 1e-12)
        XCTAssertEqual(emulation.burst, Emulation.GilbertElliott(p: 0.005, r: 0.25))
        XCTAssertEqual(emulation.rate, 2e6)
        XCTAssertEqual(emulation.flap, Emulation.Flap(period: 2, down: 1))
        XCTAssertEqual(emulation.words, ["delay=40ms", "jitter=10ms", "distribution=uniform", "loss=2%",
                                         "ge=0.5%/25%/100%/0%", "rate=2mbit", "queue=50ms", "flap=2s/1s"])
        try emulation.apply("ge=off")
        try emulation.apply("rate=off")
        XCTAssertNil(emulation.burst)
        XCTAssertNil(emulation.rate)
    }

    func testBadSettingsNameTheWord() {
        var emulation = Emulation()
        XCTAssertThrowsError(try emulation.apply("delay=fast")) { error in
            XCTAssertEqual("\(error)", "delay=fast: expected a duration such as 40ms")
        }
        XCTAssertThrowsError(try emulation.apply("lossy=2%"))
        XCTAssertThrowsError(try emulation.apply("loss=120%"))
        XCTAssertThrowsError(try emulation.apply("flap=1s/2s"))
        XCTAssertThrowsError(try emulation.apply("ge=1%/0%"))
        XCTAssertEqual(emulation, Emulation())
    }

    func testExpectedLossCombinesProcesses() throws {
        var emulation = Emulation()
        try emulation.apply("loss=10%")
        try emulation.apply("flap=2s/1s")
        XCTAssertEqual(emulation.expectedLoss, 1 - 0.9 * 0.5, accuracy: 1e-12)
        XCTAssertEqual(Emulation.GilbertElliott(p: 0.01, r: 0.2).meanLoss, 1.0 / 21, accuracy: 1e-12)
    }

    func testFixedDelayKeepsOrderAndTime() {
        var engine = DirectionEngine()
        engine.settings.delay = 0.02
        var random = SplitMix64(seed: 7)
        XCTAssertEqual(engine.admit(bytes: 100, now: 1_000_000, epoch: 0, random: &random), 21_000_000)
        XCTAssertEqual(engine.admit(bytes: 100, now: 2_000_000, epoch: 0, random: &random), 22_000_000)
    }

    /// Mean and standard deviation (ms) of the delays at `rate` packets/s; asserts FIFO order throughout.
    private func jitteredDelays(jitterTime: Double, rate: Double) -> (mean: Double, sd: Double) {
        var engine = DirectionEngine()
        engine.settings.delay = 0.03
        engine.settings.jitter = 0.01
        engine.settings.jitterTime = jitterTime
        var random = SplitMix64(seed: 1)
        var last: Int64 = 0
        var delays: [Double] = []
        for index in 0..<20_000 {
            let now = Int64(Double(index) / rate * 1e9)
            let due = engine.admit(bytes: 160, now: now, epoch: 0, random: &random)!
            XCTAssertGreaterThanOrEqual(due, last)
            last = due
            delays.append(Double(due - now) / 1e6)
        }
        let mean = delays.reduce(0, +) / Double(delays.count)
        let sd = (delays.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(delays.count)).squareRoot()
        return (mean, sd)
    }

    func testSmoothJitterKeepsItsDistributionAtAnyRate() {
        for rate in [50.0, 1000.0] {
            let (mean, sd) = jitteredDelays(jitterTime: 0.02, rate: rate)
            XCTAssertEqual(mean, 30, accuracy: 1.0, "rate \(rate)")
            XCTAssertEqual(sd, 10, accuracy: 1.5, "rate \(rate)")
        }
    }

    func testPerPacketJitterThroughAFIFOShiftsUpAtHighRates() {
        // The reason for the smooth curve: drawn per packet, FIFO order makes each delay the maximum of the
        // last few draws.
        XCTAssertEqual(jitteredDelays(jitterTime: 0, rate: 50).mean, 30.5, accuracy: 0.4)
        XCTAssertGreaterThan(jitteredDelays(jitterTime: 0, rate: 1000).mean, 40)
    }

    func testReorderOnLetsJitterOvertake() {
        var engine = DirectionEngine()
        engine.settings.delay = 0.03
        engine.settings.jitter = 0.01
        engine.settings.jitterTime = 0
        engine.settings.reorder = true
        var random = SplitMix64(seed: 5)
        var last: Int64 = 0, overtaken = 0
        for index in 0..<1000 {
            let due = engine.admit(bytes: 160, now: Int64(index) * 1_000_000, epoch: 0, random: &random)!
            if due < last { overtaken += 1 }
            last = due
        }
        XCTAssertGreaterThan(overtaken, 100)
    }

    func testRandomAndBurstLossRates() {
        var engine = DirectionEngine()
        engine.settings.loss = 0.1
        var random = SplitMix64(seed: 3)
        let n = 100_000
        for index in 0..<n { _ = engine.admit(bytes: 100, now: Int64(index), epoch: 0, random: &random) }
        XCTAssertEqual(Double(engine.counters.random) / Double(n), 0.1, accuracy: 0.005)

        var bursty = DirectionEngine()
        bursty.settings.burst = Emulation.GilbertElliott(p: 0.01, r: 0.2)
        var lost = 0, runs = 0, previousLost = false
        for index in 0..<n {
            let dropped = bursty.admit(bytes: 100, now: Int64(index), epoch: 0, random: &random) == nil
            if dropped { lost += 1; if !previousLost { runs += 1 } }
            previousLost = dropped
        }
        XCTAssertEqual(Double(lost) / Double(n), 1.0 / 21, accuracy: 0.01)
        XCTAssertEqual(Double(lost) / Double(runs), 5, accuracy: 0.6)
    }

    func testRateLimitSerialisesAndTailDrops() {
        var engine = DirectionEngine()
        engine.settings.rate = 8e6           // 1 byte per microsecond
        engine.settings.queue = 0.005        // 5 ms of backlog
        var random = SplitMix64(seed: 1)
        XCTAssertEqual(engine.admit(bytes: 1000, now: 0, epoch: 0, random: &random), 1_000_000)
        XCTAssertEqual(engine.admit(bytes: 1000, now: 0, epoch: 0, random: &random), 2_000_000)
        for _ in 0..<10 { _ = engine.admit(bytes: 1000, now: 0, epoch: 0, random: &random) }
        XCTAssertGreaterThan(engine.counters.queue, 0)
    }

    func testFlapIsPhasedFromTheEpoch() {
        var engine = DirectionEngine()
        engine.settings.flap = Emulation.Flap(period: 2, down: 1)
        var random = SplitMix64(seed: 1)
        let epoch: Int64 = 5_000_000_000
        XCTAssertNil(engine.admit(bytes: 100, now: epoch + 500_000_000, epoch: epoch, random: &random))
        XCTAssertNotNil(engine.admit(bytes: 100, now: epoch + 1_500_000_000, epoch: epoch, random: &random))
        XCTAssertNil(engine.admit(bytes: 100, now: epoch + 2_100_000_000, epoch: epoch, random: &random))
    }

    func testHeapPopsInDueThenArrivalOrder() {
        var heap = DueHeap(capacity: 8)
        for (due, slot) in [(30, 0), (10, 1), (20, 2), (10, 3)] { heap.push(due: Int64(due), slot: Int32(slot)) }
        XCTAssertNil(heap.popDue(now: 5))
        var order: [Int32] = []
        while let slot = heap.popDue(now: 100) { order.append(slot) }
        XCTAssertEqual(order, [1, 3, 2, 0])
    }
}
