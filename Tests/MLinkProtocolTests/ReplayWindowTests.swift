import XCTest
@testable import MLinkProtocol

/// The de-duplication/replay window: each counter is accepted once, within 65536 counters and an age bound.
final class ReplayWindowTests: XCTestCase {
    private let t0: UInt64 = 50 * Time.second

    /// Checks then records, as the engine does for an authentic packet; returns the verdict.
    @discardableResult
    private func accept(_ window: inout ReplayWindow, _ counter: UInt64, at now: UInt64) -> ReplayWindow.Verdict {
        let verdict = window.check(counter, now: now)
        if verdict == .new { window.record(counter, now: now) }
        return verdict
    }

    func testWidth() {
        XCTAssertEqual(ReplayWindow.width, 65536)
        XCTAssertEqual(ReplayWindow().maximumAge, 2 * Time.second)
    }

    func testNewThenDuplicate() {
        var window = ReplayWindow()
        XCTAssertEqual(window.check(5, now: t0), .new)
        XCTAssertEqual(window.check(5, now: t0), .new, "check alone records nothing")
        window.record(5, now: t0)
        XCTAssertEqual(window.highest, 5)
        XCTAssertEqual(window.check(5, now: t0), .duplicate)
        XCTAssertEqual(accept(&window, 6, at: t0), .new)
        XCTAssertEqual(accept(&window, 6, at: t0), .duplicate)
        XCTAssertEqual(accept(&window, 5, at: t0), .duplicate)
    }

    func testOutOfOrderWithinWindowIsAcceptedOnce() {
        var window = ReplayWindow()
        accept(&window, 1, at: t0)
        accept(&window, 1000, at: t0)
        for counter in stride(from: 999 as UInt64, through: 2, by: -1) {
            XCTAssertEqual(accept(&window, counter, at: t0), .new, "counter \(counter)")
        }
        for counter in 1...1000 as ClosedRange<UInt64> {
            XCTAssertEqual(window.check(counter, now: t0), .duplicate, "counter \(counter)")
        }
        XCTAssertEqual(window.highest, 1000)
    }

    func testFarBehindIsTooOld() {
        var window = ReplayWindow()
        let highest: UInt64 = 1_000_000
        accept(&window, highest - 70_000, at: t0)
        accept(&window, highest, at: t0)
        XCTAssertEqual(window.check(highest - (ReplayWindow.width - 64), now: t0), .tooOld)
        XCTAssertEqual(window.check(highest - ReplayWindow.width, now: t0), .tooOld)
        XCTAssertEqual(window.check(highest - 70_000, now: t0), .tooOld, "seen once, now behind the window")
        XCTAssertEqual(window.check(0, now: t0), .tooOld)
        XCTAssertEqual(window.check(highest - (ReplayWindow.width - 65), now: t0), .new, "last counter inside")
    }

    func testBlockOlderThanMaximumAgeIsTooOld() {
        var window = ReplayWindow(maximumAge: 2 * Time.second)
        accept(&window, 10, at: t0)
        accept(&window, 200, at: t0 + 100 * Time.millisecond)
        XCTAssertEqual(window.check(20, now: t0 + 1 * Time.second), .new)
        XCTAssertEqual(window.check(20, now: t0 + 2500 * Time.millisecond), .tooOld)
        XCTAssertEqual(window.check(10, now: t0 + 2500 * Time.millisecond), .tooOld, "even a duplicate")
        XCTAssertEqual(window.check(201, now: t0 + 60 * Time.second), .new, "ahead of the window is always new")
    }

    /// A link lagging 3 s behind another at 100 packets/s delivers nothing, not even what the fast link lost.
    func testLinkLaggingBySecondsDeliversNothing() {
        var window = ReplayWindow(maximumAge: 2 * Time.second)
        let interval = 10 * Time.millisecond, lag = 3 * Time.second
        var late: [(time: UInt64, counter: UInt64)] = []
        var delivered = Set<UInt64>()
        for counter in 1...1000 as ClosedRange<UInt64> {
            let sent = t0 + counter * interval
            while let first = late.first, first.time <= sent {
                late.removeFirst()
                XCTAssertEqual(accept(&window, first.counter, at: first.time), .tooOld, "counter \(first.counter)")
            }
            if counter % 5 != 0, accept(&window, counter, at: sent) == .new { delivered.insert(counter) }
            late.append((sent + lag, counter))
        }
        XCTAssertEqual(delivered.count, 800)
    }

    func testJumpAheadByMoreThanTheWidthClearsOldBits() {
        var window = ReplayWindow()
        for counter in 1...1000 as ClosedRange<UInt64> { accept(&window, counter, at: t0) }
        // The counters width + 1 ... width + 1000 reuse the ring slots of 1 ... 1000.
        accept(&window, ReplayWindow.width + 2000, at: t0)
        for counter in 1...1000 as ClosedRange<UInt64> {
            XCTAssertEqual(window.check(ReplayWindow.width + counter, now: t0), .new, "counter width + \(counter)")
        }
        XCTAssertEqual(window.check(500, now: t0), .tooOld)

        var far = ReplayWindow()
        for counter in 1...64 as ClosedRange<UInt64> { accept(&far, counter, at: t0) }
        let jump = 10 * ReplayWindow.width + 3
        accept(&far, jump, at: t0)
        for behind in [1, 2, 63, 64, 65, 1000, 65000] as [UInt64] {
            XCTAssertEqual(far.check(jump - behind, now: t0), .new, "\(behind) behind after a far jump")
        }
        XCTAssertEqual(far.check(jump, now: t0), .duplicate)
    }

    func testCountersNearTheUInt64EdgesDoNotTrap() {
        var window = ReplayWindow()
        XCTAssertEqual(accept(&window, .max - 10, at: t0), .new)
        XCTAssertEqual(accept(&window, .max, at: t0), .new)
        XCTAssertEqual(accept(&window, .max, at: t0), .duplicate)
        XCTAssertEqual(accept(&window, .max - 5, at: t0), .new)
        XCTAssertEqual(accept(&window, .max - 10, at: t0), .duplicate)
        XCTAssertEqual(window.check(0, now: t0), .tooOld)
        XCTAssertEqual(window.check(.max - ReplayWindow.width, now: t0), .tooOld)

        var fromZero = ReplayWindow()
        XCTAssertEqual(accept(&fromZero, 0, at: 0), .new)
        XCTAssertEqual(accept(&fromZero, 0, at: 0), .duplicate)
        XCTAssertEqual(accept(&fromZero, .max, at: 0), .new)
        XCTAssertEqual(fromZero.highest, .max)
        XCTAssertEqual(fromZero.check(0, now: 0), .tooOld)
        XCTAssertEqual(fromZero.check(.max - 1, now: 0), .new)

        var clock = ReplayWindow()
        accept(&clock, 1, at: .max)
        XCTAssertEqual(clock.check(1, now: .max), .duplicate)
        XCTAssertEqual(clock.check(2, now: 0), .new, "a clock that wrapped does not trap")
    }

    /// Two links, the slow one 60000 packets behind: every counter is accepted exactly once, none is too old.
    func testSixtyThousandPacketsOfSkewAreTolerated() {
        var window = ReplayWindow()
        let skew = 60_000, total = 200_000
        var accepted = [UInt8](repeating: 0, count: total + 1)
        var tooOld = 0
        func arrive(_ counter: Int, _ now: UInt64) {
            switch accept(&window, UInt64(counter), at: now) {
            case .new: accepted[counter] += 1
            case .duplicate: break
            case .tooOld: tooOld += 1
            }
        }
        // 1 µs per packet (1 Mpps): 60000 packets of skew is 60 ms, well inside the age bound.
        for step in 1...(total + skew) {
            let now = t0 + UInt64(step) * 1000
            if step <= total, step % 7 != 0 { arrive(step, now) }  // the fast link loses every 7th packet
            if step > skew { arrive(step - skew, now) }           // the slow link delivers everything, late
        }
        XCTAssertEqual(tooOld, 0)
        XCTAssertTrue(accepted[1...].allSatisfy { $0 == 1 }, "each counter accepted exactly once")
    }

    // MARK: Age measured from the block's first counter (see the bug report in the summary)

    /// At 10 packets/s a block of 64 counters spans 6.4 s. The copy of the newest packet that the second link
    /// brings 5 ms later is a duplicate, and a packet the fast link lost, brought 5 ms late by the other link,
    /// is new: neither is "too old" relative to the newest.
    func testLowRateStreamKeepsLateCopiesWithinTheAgeBound() {
        var window = ReplayWindow(maximumAge: 2 * Time.second)
        let interval = 100 * Time.millisecond, skew = 5 * Time.millisecond
        var verdicts: [UInt64: ReplayWindow.Verdict] = [:]
        for counter in 1...200 as ClosedRange<UInt64> {
            let sent = t0 + counter * interval
            let fastLost = counter % 10 == 0
            if !fastLost { accept(&window, counter, at: sent) }
            if counter > 1, (counter - 1) % 10 == 0 {
                // The slow link's copy of the previous (lost) packet arrives after this one.
                verdicts[counter - 1] = accept(&window, counter - 1, at: sent + skew)
            }
            if !fastLost { verdicts[counter] = accept(&window, counter, at: sent + skew) }
        }
        let lostOnFast = verdicts.filter { $0.key % 10 == 0 }
        let duplicates = verdicts.filter { $0.key % 10 != 0 }
        XCTAssertEqual(lostOnFast.values.filter { $0 == .new }.count, lostOnFast.count,
                       "late-but-fresh copies refused: \(lostOnFast.filter { $0.value != .new }.keys.sorted())")
        XCTAssertEqual(duplicates.values.filter { $0 == .duplicate }.count, duplicates.count,
                       "duplicates misclassified: \(duplicates.filter { $0.value != .duplicate }.keys.sorted())")
    }

    /// Counters below the first one a receiver ever saw were never seen: a monotonic clock (seconds since
    /// boot) must not make their blocks "too old".
    func testCountersBehindTheFirstSeenAreNewOnAMonotonicClock() {
        var window = ReplayWindow(maximumAge: 2 * Time.second)
        let boot = 3600 * Time.second
        XCTAssertEqual(accept(&window, 100, at: boot), .new)
        XCTAssertEqual(accept(&window, 60, at: boot + Time.millisecond), .new)
        XCTAssertEqual(accept(&window, 1, at: boot + Time.millisecond), .new)
    }
}
