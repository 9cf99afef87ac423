import XCTest
@testable import MLinkDaemon

/// The PATH_SILENT log line's limit: the first alarm of a period is logged, the rest are counted into one line
/// once the period (`SummaryInterval`, shared with the drop report) has passed.
final class AlarmLogLimiterTests: XCTestCase {
    func testTheFirstAlarmOfASecondIsLoggedAndTheRestAreSummedUpOnce() {
        let second: UInt64 = 1_000_000_000
        var limiter = AlarmLogLimiter()
        XCTAssertTrue(limiter.admit("a", now: 5 * second), "the first alarm is logged")
        XCTAssertFalse(limiter.admit("b", now: 5 * second + 100_000_000))
        XCTAssertFalse(limiter.admit("c", now: 5 * second + 200_000_000))
        XCTAssertNil(limiter.summary(now: 5 * second + 900_000_000), "not before the period has passed")
        XCTAssertEqual(limiter.summary(now: 6 * second + 500_000_000),
                       "2 more PATH_SILENT sent in the last 1.5 s, not logged one by one (the newest: c)")
        XCTAssertNil(limiter.summary(now: 9 * second), "each held alarm is summed up once")
        XCTAssertTrue(limiter.admit("d", now: 9 * second), "a period after the summary, an alarm is logged again")
    }

    func testASummaryIntervalIsDueOnceItsLengthHasPassedSinceItsRestart() {
        var interval = SummaryInterval(10_000_000_000)
        XCTAssertTrue(interval.isDue(now: 10_000_000_000))
        interval.restart(now: 10_000_000_000)
        XCTAssertFalse(interval.isDue(now: 19_999_999_999))
        XCTAssertTrue(interval.isDue(now: 20_000_000_000))
        XCTAssertEqual(interval.elapsedSeconds(now: 12_345_678_901), 2.345)
    }
}
