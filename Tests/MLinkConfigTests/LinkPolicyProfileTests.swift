import XCTest
@testable import MLinkConfig

/// `links` entries with roles and costs, `mode: failover`, `copies`, `standby-probe` (issue 14).
final class LinkPolicyProfileTests: XCTestCase {
    private func load(_ extra: String) throws -> Profile {
        try ProfileLoader.parse(text: ProfileTexts.host + extra, path: "/etc/mlink/vm0.yaml", directory: "/etc/mlink")
    }

    func testPlainNamesStillWorkAndArePrimaries() throws {
        let profile = try load("links: [enp0s3, wwan*]\n")
        XCTAssertEqual(profile.links, ["enp0s3", "wwan*"])
        XCTAssertEqual(profile.linkPolicy.links.map(\.role), [.primary, .primary])
        XCTAssertEqual(profile.mode, .redundant)
        XCTAssertNil(profile.linkPolicy.copies)
        XCTAssertEqual(profile.linkPolicy.standbyProbeMilliseconds, 5000)
    }

    func testTheContractOfIssue14Loads() throws {
        let profile = try load("""
            links:
              - {name: enp0s3, role: primary}
              - {name: wwan0, role: backup, metered: true,
                 budget: {monthly: 20GB, daily: 1GB, reset-day: 1}, over-budget: backup-only}
              - {name: wlan*, role: never}
              - enp0s8
            mode: failover
            copies: 2
            standby-probe: 5s

            """)
        XCTAssertEqual(profile.links, ["enp0s3", "wwan0", "wlan*", "enp0s8"])
        XCTAssertEqual(profile.mode, .failover)
        XCTAssertEqual(profile.linkPolicy.copies, 2)
        XCTAssertEqual(profile.linkPolicy.standbyProbeMilliseconds, 5000)
        let wwan = profile.linkPolicy.settings(forLink: "wwan0")
        XCTAssertEqual(wwan.role, .backup)
        XCTAssertTrue(wwan.metered)
        XCTAssertEqual(wwan.budget, Profile.Budget(monthly: 20_000_000_000, daily: 1_000_000_000, resetDay: 1))
        XCTAssertEqual(wwan.overBudget, .backupOnly)
        XCTAssertEqual(profile.linkPolicy.settings(forLink: "wlan3").role, .never, "globs match")
        XCTAssertEqual(profile.linkPolicy.settings(forLink: "enp0s8").role, .primary)
        XCTAssertEqual(profile.linkPolicy.settings(forLink: "eth9").role, .primary, "unlisted: primary")
    }

    func testSizesAndDurations() throws {
        let sizes = try load("links:\n  - {name: wwan0, metered: true, budget: {monthly: 1.5GiB, daily: 500MB}, over-budget: off}\n")
            .linkPolicy.links[0]
        XCTAssertEqual(sizes.budget?.monthly, 1_610_612_736)
        XCTAssertEqual(sizes.budget?.daily, 500_000_000)
        XCTAssertEqual(sizes.overBudget, .off)
        XCTAssertEqual(try load("standby-probe: 250ms\n").linkPolicy.standbyProbeMilliseconds, 250)
        XCTAssertEqual(try load("standby-probe: 30\n").linkPolicy.standbyProbeMilliseconds, 30_000, "plain: seconds")
        XCTAssertEqual(try load("standby-probe: 2m\n").linkPolicy.standbyProbeMilliseconds, 120_000)
        XCTAssertThrowsError(try load("standby-probe: 50ms\n"))
    }
}
