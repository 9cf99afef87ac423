import MLinkConfig
import MLinkProtocol
import XCTest
@testable import MLinkDaemon

/// Budgets of metered links: calendar, exhaustion, the over-budget role, and the counts across a restart.
final class BudgetKeeperTests: XCTestCase {
    private let wwan = Profile.LinkSettings(pattern: "wwan*", role: .secondary, metered: true,
                                            budget: Profile.Budget(monthly: 10_000, daily: 4_000, resetDay: 15))
    /// 2026-12-01 12:00 UTC.
    private let noon = Double(BudgetKeeper.days(year: 2026, month: 12, day: 1)) * 86400 + 43200

    func testTheCalendarMatchesKnownDates() {
        XCTAssertEqual(BudgetKeeper.days(year: 1970, month: 1, day: 1), 0)
        XCTAssertEqual(BudgetKeeper.days(year: 2000, month: 3, day: 1), 11017)
        let c = BudgetKeeper.civil(days: 20788)  // 2026-12-01
        XCTAssertEqual([c.year, c.month, c.day], [2026, 12, 1])
        XCTAssertEqual(BudgetKeeper.budgetMonth(day: 20788, resetDay: 15), 2026 * 12 + 10, "before the 15th: November's")
        XCTAssertEqual(BudgetKeeper.budgetMonth(day: 20788, resetDay: 1), 2026 * 12 + 11)
        XCTAssertEqual(BudgetKeeper.monthBounds(2026 * 12 + 11, resetDay: 1).1 - BudgetKeeper.monthBounds(2026 * 12 + 11, resetDay: 1).0, 31)
    }

    func testADailyBudgetRunsOutAndResetsTheNextDay() throws {
        let keeper = BudgetKeeper(links: [wwan], directory: nil)
        XCTAssertTrue(keeper.update(wireBytes: ["wwan0": 3000], wallSeconds: noon).isEmpty)
        let changes = keeper.update(wireBytes: ["wwan0": 4500], wallSeconds: noon + 60)
        XCTAssertEqual(changes.map(\.link), ["wwan0"])
        XCTAssertEqual(changes.map(\.exhausted), [true])
        let status = try XCTUnwrap(keeper.status(of: "wwan0", wallSeconds: noon + 60))
        XCTAssertEqual(status.usedToday, 4500)
        XCTAssertEqual(status.usedThisMonth, 4500)
        XCTAssertGreaterThan(status.monthForecast, 4500, "the month is not over")
        XCTAssertEqual(BudgetKeeper.policy(wwan, exhausted: true).role, .backup, "backup-only by default")
        var off = wwan
        off.overBudget = .off
        XCTAssertEqual(BudgetKeeper.policy(off, exhausted: true).role, .never)
        XCTAssertEqual(BudgetKeeper.policy(wwan, exhausted: false), LinkPolicy(role: .secondary, metered: true))
        let nextDay = keeper.update(wireBytes: ["wwan0": 4600], wallSeconds: noon + 86400)
        XCTAssertEqual(nextDay.map(\.exhausted), [false], "a new day")
        XCTAssertEqual(keeper.status(of: "wwan0", wallSeconds: noon + 86400)?.usedThisMonth, 4600)
        XCTAssertNil(keeper.status(of: "enp0s3", wallSeconds: noon), "no budget")
    }

    /// What the data path may still send before the check: the smaller of the day's and the month's rest.
    func testHeadroomIsWhatTheTighterBudgetLeaves() {
        let keeper = BudgetKeeper(links: [wwan], directory: nil)
        XCTAssertEqual(keeper.headroom(of: "wwan0", wallSeconds: noon), 4000, "the daily limit is the tighter")
        _ = keeper.update(wireBytes: ["wwan0": 2500], wallSeconds: noon)
        XCTAssertEqual(keeper.headroom(of: "wwan0", wallSeconds: noon), 1500)
        _ = keeper.update(wireBytes: ["wwan0": 4100], wallSeconds: noon + 1)
        XCTAssertEqual(keeper.headroom(of: "wwan0", wallSeconds: noon + 1), 0, "over the daily limit: none left")
        // A new day: the daily budget is fresh (3500 used of 4000), the month has 10000 - 7600 left.
        _ = keeper.update(wireBytes: ["wwan0": 7600], wallSeconds: noon + 86400)
        XCTAssertEqual(keeper.headroom(of: "wwan0", wallSeconds: noon + 86400), 500)
        // The day after: 2000 of the day's 4000, but only 400 of the month's 10000 are left.
        _ = keeper.update(wireBytes: ["wwan0": 9600], wallSeconds: noon + 2 * 86400)
        XCTAssertEqual(keeper.headroom(of: "wwan0", wallSeconds: noon + 2 * 86400), 400, "the month's rest is the tighter")
        XCTAssertNil(keeper.headroom(of: "enp0s3", wallSeconds: noon), "no budget, nothing to watch")
    }

    /// A link with two slots (two local addresses, or one per remote endpoint family) is one budget: the slots
    /// draw on one headroom, so the link crosses its limit when their sum does (a headroom per slot let the link
    /// carry its remainder once on each before the check).
    func testTheSlotsOfOneLinkShareItsHeadroom() {
        let keeper = BudgetKeeper(links: [wwan], directory: nil)
        _ = keeper.update(wireBytes: ["wwan0": 2800], wallSeconds: noon)  // 1200 left of the day's 4000
        var meters = BudgetMeters()
        meters.set(slotLinks: ["wwan0", "enp0s3", nil, "wwan0"]) { keeper.headroom(of: $0, wallSeconds: noon) }
        XCTAssertEqual(meters.meterOfSlot, [0, -1, -1, 0], "one headroom for both wwan0 slots; enp0s3 has no budget")
        XCTAssertEqual(meters.headroom, [1200])
        XCTAssertTrue(meters.watches(3))
        XCTAssertFalse(meters.watches(1))
        XCTAssertFalse(meters.watches(7), "a slot beyond the table")
        meters.charge(slot: 1, bytes: 100_000, datagrams: 100)
        XCTAssertFalse(meters.crossed, "an unmetered slot charges nothing")
        meters.charge(slot: 0, bytes: 452, datagrams: 1)  // 500 with the header
        meters.charge(slot: 3, bytes: 452, datagrams: 1)
        XCTAssertFalse(meters.crossed, "1000 of 1200")
        XCTAssertEqual(meters.headroom, [200])
        meters.charge(slot: 3, bytes: 252, datagrams: 1)  // 300 more: each slot alone is at 500 or 800
        XCTAssertTrue(meters.crossed, "the link crossed its budget on the sum of its slots")
        // Over budget: not watched any more (its role has changed), until the day resets.
        _ = keeper.update(wireBytes: ["wwan0": 4100], wallSeconds: noon + 1)
        meters.set(slotLinks: ["wwan0", "enp0s3", nil, "wwan0"]) { keeper.headroom(of: $0, wallSeconds: noon + 1) }
        XCTAssertEqual(meters.meterOfSlot, [-1, -1, -1, -1])
        XCTAssertFalse(meters.crossed)
    }

    func testCountsSurviveARestart() throws {
        let directory = NSTemporaryDirectory() + "mlink-budget-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = BudgetKeeper(links: [wwan], directory: directory)
        _ = first.update(wireBytes: ["wwan0": 9000], wallSeconds: noon)
        try first.saveIfDue(now: 0, force: true)
        let second = BudgetKeeper(links: [wwan], directory: directory)
        XCTAssertEqual(second.status(of: "wwan0", wallSeconds: noon + 10)?.usedThisMonth, 9000)
        // The new core's counters start at 0: what it counts adds to what was saved.
        let changes = second.update(wireBytes: ["wwan0": 1500], wallSeconds: noon + 86400)
        XCTAssertEqual(second.status(of: "wwan0", wallSeconds: noon + 86400)?.usedThisMonth, 10_500)
        XCTAssertEqual(changes.map(\.exhausted), [true], "the monthly budget is used up across the restart")
    }
}
