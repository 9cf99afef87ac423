import MLinkRoutes
import MLinkTypes
import XCTest

/// The HA state machine with a fake clock: failover, hold-down, no flapping (routing.md T9 as a unit test).
final class SharedPrefixElectionTests: XCTestCase {
    let lan = net("192.168.50.0/24")
    let second: UInt64 = 1_000_000_000

    func testTheBestPreferenceIsPrimaryAndTheOtherStandby() {
        var election = SharedPrefixElection(ranks: [0, 1, 2])
        election.setAnnouncements([(lan, 50)], of: 1, now: 0)
        XCTAssertEqual(election.primary(for: lan), 1, "the first candidate takes an empty prefix at once")
        election.setAnnouncements([(lan, 10)], of: 2, now: 1)
        XCTAssertEqual(election.primary(for: lan), 1, "a better newcomer waits for the hold-down")
        XCTAssertEqual(election.verdict(for: lan, peer: 2), .standby)
        XCTAssertEqual(election.candidates(for: lan).map(\.peer), [2, 1])
    }

    func testFailoverIsImmediateAndCounted() {
        var election = SharedPrefixElection(ranks: [0, 1, 2])
        election.setAnnouncements([(lan, 10)], of: 1, now: 0)
        election.setAnnouncements([(lan, 20)], of: 2, now: 0)
        XCTAssertEqual(election.primary(for: lan), 1)
        XCTAssertEqual(election.removePeer(1, now: 5 * second), [lan])
        XCTAssertEqual(election.primary(for: lan), 2)
        XCTAssertEqual(election.failovers, 1)
        XCTAssertEqual(election.activeRoutes.map(\.peer), [2])
        XCTAssertEqual(election.removePeer(2, now: 6 * second), [lan])
        XCTAssertNil(election.primary(for: lan))
        XCTAssertTrue(election.activeRoutes.isEmpty)
    }

    func testWithdrawingThePrefixFailsOverToo() {
        var election = SharedPrefixElection(ranks: [0, 1, 2])
        election.setAnnouncements([(lan, 10), (net("10.50.1.0/24"), 10)], of: 1, now: 0)
        election.setAnnouncements([(lan, 20)], of: 2, now: 0)
        election.setAnnouncements([(net("10.50.1.0/24"), 10)], of: 1, now: second)
        XCTAssertEqual(election.primary(for: lan), 2)
        XCTAssertEqual(election.primary(for: net("10.50.1.0/24")), 1)
    }

    func testAReturningBetterHostTakesOverOnlyAfterTheHoldDownAndOnce() {
        var election = SharedPrefixElection(ranks: [0, 1, 2], holdDown: 30 * second)
        election.setAnnouncements([(lan, 10)], of: 1, now: 0)
        election.setAnnouncements([(lan, 20)], of: 2, now: 0)
        election.removePeer(1, now: second)
        XCTAssertEqual(election.primary(for: lan), 2)
        election.setAnnouncements([(lan, 10)], of: 1, now: 2 * second)     // back
        var changes: [UInt64] = []
        for tick in stride(from: 2 * second, through: 70 * second, by: Int(second / 10)) {
            // Re-announcements (new generations) during the hold-down keep the candidate's start time.
            if tick % (5 * second) == 0 { election.setAnnouncements([(lan, 10)], of: 1, now: tick) }
            if !election.tick(now: tick).isEmpty { changes.append(tick) }
        }
        XCTAssertEqual(changes, [32 * second], "exactly one change, 30 s after the return")
        XCTAssertEqual(election.primary(for: lan), 1)
        XCTAssertEqual(election.failovers, 2)
    }

    func testAFlappingBetterHostNeverTakesOver() {
        var election = SharedPrefixElection(ranks: [0, 1, 2], holdDown: 30 * second)
        election.setAnnouncements([(lan, 20)], of: 2, now: 0)
        var now: UInt64 = 0
        for _ in 0..<10 {                         // up 20 s, down 1 s, again and again
            election.setAnnouncements([(lan, 10)], of: 1, now: now)
            for step in 0..<200 { election.tick(now: now + UInt64(step) * second / 10) }
            now += 20 * second
            election.removePeer(1, now: now)
            now += second
        }
        XCTAssertEqual(election.primary(for: lan), 2)
        XCTAssertEqual(election.failovers, 0)
    }

    func testEqualPreferencesNeverPreemptAndTieBreakByRank() {
        var election = SharedPrefixElection(ranks: [0, 7, 3], holdDown: second)
        election.setAnnouncements([(lan, 10)], of: 1, now: 0)
        election.setAnnouncements([(lan, 10)], of: 2, now: 0)
        XCTAssertEqual(election.primary(for: lan), 1, "the incumbent keeps it")
        election.tick(now: 100 * second)
        XCTAssertEqual(election.primary(for: lan), 1)
        election.removePeer(1, now: 101 * second)
        election.setAnnouncements([(lan, 10)], of: 1, now: 102 * second)
        election.tick(now: 500 * second)
        XCTAssertEqual(election.primary(for: lan), 2, "equal preference: no preemption after the return")
        // Two equal standbys when the primary goes: the lower rank (peer 2, rank 3) is promoted, not peer 1 (7).
        var fresh = SharedPrefixElection(ranks: [0, 7, 3])
        fresh.setAnnouncements([(lan, 5)], of: 0, now: 0)
        fresh.setAnnouncements([(lan, 10)], of: 1, now: 0)
        fresh.setAnnouncements([(lan, 10)], of: 2, now: 0)
        fresh.removePeer(0, now: second)
        XCTAssertEqual(fresh.primary(for: lan), 2)
    }

    func testOverlappingUnequalPrefixesAreBothActive() {
        var election = SharedPrefixElection(ranks: [0, 1, 2])
        election.setAnnouncements([(net("192.168.0.0/16"), 10)], of: 1, now: 0)
        election.setAnnouncements([(lan, 10)], of: 2, now: 0)
        XCTAssertEqual(election.activeRoutes.map(\.prefix), [net("192.168.0.0/16"), lan])
        XCTAssertEqual(election.activeRoutes.map(\.peer), [1, 2])
    }
}
