import Foundation
import XCTest
import MLinkConfig
@testable import MLinkEmulator
@testable import MLinkLab
import MLinkYAML

/// A scenario's `mlink` key (issue 14, item 7): parsed and checked, written into VM0's profile, and the
/// failover and budget figures computed from the bench's records and tallies.
final class ScenarioPolicyTests: XCTestCase {
    private func scenario(_ text: String) throws(LabError) -> Scenario { try readScenario(text, file: "policy.yaml") }

    private func message(_ text: String) -> String? { scenarioError(text, file: "policy.yaml") }

    func testThePolicyScenariosLoadAndNameTheirNets() throws {
        let backup = try Scenario.load(file: Repository.url("examples/lab/scenarios-policy/backup.yaml").path)
        let policy = try XCTUnwrap(backup.mlink)
        XCTAssertEqual(policy.mode, "failover")
        XCTAssertEqual(policy.links.map(\.role), ["primary", "backup"])
        XCTAssertEqual(policy.backupNet, "net1")
        XCTAssertEqual(backup.cut(runSeconds: 100)?.net, "net0")
        XCTAssertEqual(backup.cut(runSeconds: 100)?.at ?? 0, 50, accuracy: 1e-9)
        XCTAssertEqual(backup.repair(after: backup.cut(runSeconds: 100)!, runSeconds: 100) ?? 0, 55, accuracy: 1e-9)
        // The short form leaves time to see the failback: repair + revert-after + 1.5 s <= the end - 2 s.
        let short = backup.shortSeconds
        XCTAssertLessThanOrEqual(backup.repair(after: backup.cut(runSeconds: short)!, runSeconds: short)! + 11.5, short - 2)
        let metered = try Scenario.load(file: Repository.url("examples/lab/scenarios-policy/metered.yaml").path)
        XCTAssertNil(metered.mlink?.backupNet)
        XCTAssertEqual(metered.mlink?.metered?.net, "net1")
        XCTAssertEqual(metered.mlink?.metered?.budget, ["daily: 4MB"])
        XCTAssertNil(metered.cut(runSeconds: 60))
        // The shipped CI scenarios set no policy.
        XCTAssertNil(try Scenario.load(file: Repository.url("examples/lab/scenarios/outage.yaml").path).mlink)
    }

    func testBadPolicyKeysNameLineColumnAndKey() {
        let cases: [(String, String)] = [
            ("mlink: {mode: fast}\n", "policy.yaml:1:15: mlink.mode: 'fast' is not one of redundant, failover"),
            ("mlink: {speed: 1}\n", "policy.yaml:1:9: mlink.speed: unknown key (expected mode, copies, standby-probe, links)"),
            ("mlink: {copies: 0}\n", "policy.yaml:1:17: mlink.copies: '0' is not a number of copies from 1 to 32"),
            ("mlink: {links: [{name: eth9}]}\n",
             "policy.yaml:1:24: mlink.links[0].name: 'eth9' is not one of VM0's interfaces (enp0s3 on net0, enp0s8 on net1)"),
            ("mlink: {links: [{name: enp0s8, role: spare}]}\n",
             "policy.yaml:1:38: mlink.links[0].role: 'spare' is not one of primary, secondary, backup, never"),
            ("mlink: {links: [{role: backup}]}\n", "policy.yaml:1:17: mlink.links[0].name: is required"),
            ("mlink: {links: [{name: enp0s8, budget: {daily: 1MB}}]}\n",
             "policy.yaml:1:17: mlink.links[0].budget: a budget needs metered: true"),
            ("mlink: {links: [{name: enp0s8, metered: true, budget: {weekly: 1MB}}]}\n",
             "policy.yaml:1:56: mlink.links[0].budget.weekly: unknown key (expected monthly, daily, reset-day)"),
            ("mlink: {links: [{name: enp0s8}, {name: enp0s8}]}\n", "policy.yaml:1:8: mlink.links: 'enp0s8' is listed twice"),
        ]
        for (text, expected) in cases { XCTAssertEqual(message(text), expected, text) }
    }

    /// The written profile is one mlink's own loader accepts, with the roles, mode and budget of the scenario.
    func testThePolicyGoesIntoVM0sProfileAndMlinkAcceptsIt() throws {
        let scenario = try scenario("""
            mlink:
              mode: failover
              standby-probe: 2s
              links:
                - {name: enp0s8, role: backup, metered: true, budget: {daily: 4MB, monthly: 1GB}, over-budget: off}
            """)
        var topology = try Topology.parse(Bench.topologyText, file: "bench")
        let bench = Bench(lab: Lab.live(), scenario: scenario, labName: "t", runSeconds: 5, isShort: true,
                          streamTool: "", withWireguard: false)
        let hadStateDirectory = ProcessInfo.processInfo.environment["MLINK_STATE_DIR"] != nil
        if !hadStateDirectory { setenv("MLINK_STATE_DIR", "/nonexistent", 1) }  // applyPolicy keeps a set one
        defer { if !hadStateDirectory { unsetenv("MLINK_STATE_DIR") } }
        bench.applyPolicy(to: &topology)
        let keys = Dictionary(uniqueKeysWithValues: topology.hosts.map { ($0.name, Lab.newKeyPair()) })
        let text = ProfileWriter.profile(of: topology.host(named: "vm0")!, in: topology, keys: keys)
        XCTAssertTrue(text.contains("links: [{name: enp0s3}, {name: enp0s8, role: backup, metered: true, "
                                    + "budget: {daily: 4MB, monthly: 1GB}, over-budget: off}]\nmode: failover\n"), text)
        let profile = try ProfileLoader.parse(text: text, path: "/nonexistent/vm0.yaml", directory: "/nonexistent")
        XCTAssertEqual(profile.mode, .failover)
        XCTAssertEqual(profile.linkPolicy.standbyProbeMilliseconds, 2000)
        let backup = profile.linkPolicy.settings(forLink: "enp0s8")
        XCTAssertEqual(backup.role, .backup)
        XCTAssertEqual(backup.budget, Profile.Budget(monthly: 1_000_000_000, daily: 4_000_000))
        XCTAssertEqual(backup.overBudget, .off)
        XCTAssertEqual(profile.linkPolicy.settings(forLink: "enp0s3").role, .primary)
        // The router's profile and VM2's are the plain ones.
        let router = ProfileWriter.profile(of: topology.host(named: "vm1")!, in: topology, keys: keys)
        XCTAssertFalse(router.contains("mode:"), router)
    }

    private func record(_ sequence: Int, sent: Double, received: Double) -> StreamRecord {
        StreamRecord(run: "mlink", stream: 0, sequence: sequence, sentAt: Int64(sent * 1e9), receivedAt: Int64(received * 1e9))
    }

    private func tally(data: Int, probe: Int, control: Int = 0) -> WireTally {
        var tally = WireTally()
        tally.bytes[4] = data; tally.bytes[5] = probe; tally.bytes[6] = control
        return tally
    }

    /// Takeover is measured from the records: the first packet sent at or after the cut, its arrival; backup
    /// cold and idle from the tally sample before the cut. Each check fails on the figures that miss it.
    func testFailoverChecksFollowTheFigures() throws {
        let backup = try Scenario.load(file: Repository.url("examples/lab/scenarios-policy/backup.yaml").path)
        func result(records: [StreamRecord], sample: BenchResult.CutSample?, wire: [String: WireTally] = [:]) -> BenchResult {
            let sent = ["mlink": ["audio": records.count, "video": 0]]
            var result = BenchResult(scenario: backup, runSeconds: 16, isShort: true, start: 0,
                                     paths: Bench.paths.filter { $0.id == "mlink" || $0.id == "net0" },
                                     sent: sent, records: records)
            result.wire = wire
            result.addPolicyFigures(records: records, start: 0, beforeCut: sample)
            return result
        }
        func verdicts(_ result: BenchResult) -> [String: Bool] {
            Dictionary(uniqueKeysWithValues: result.checks.map { ($0.name, $0.passed) })
        }
        // Cut at 8 s (half of 16): packets every 20 ms; the first one sent after the cut arrives 120 ms after it,
        // so it left on net1 (35 ms) 85 ms after the cut.
        let good = (0..<800).map { i -> StreamRecord in
            let sent = Double(i) * 0.02
            return record(i, sent: sent, received: sent < 8 ? sent + 0.02 : max(sent + 0.035, 8.12))
        }
        let cold = BenchResult.CutSample(seconds: ["net1": 8], wire: ["net1": tally(data: 0, probe: 200, control: 40)])
        let passing = verdicts(result(records: good, sample: cold))
        XCTAssertEqual(passing["takeover"], true)
        XCTAssertEqual(passing["failover-loss"], true)
        XCTAssertEqual(passing["backup-cold"], true)
        XCTAssertEqual(passing["backup-idle"], true)   // 240 B in 8 s = 30 B/s
        // Takeover 300 ms after the cut, which also makes the packets up to 150 ms late.
        let slow = good.map { r -> StreamRecord in
            var r = r
            if r.sentAt >= 8_000_000_000 { r.receivedAt = max(r.receivedAt, 8_300_000_000) }
            return r
        }
        let warm = BenchResult.CutSample(seconds: ["net1": 8], wire: ["net1": tally(data: 1200, probe: 400)])
        let failing = verdicts(result(records: slow, sample: warm))
        XCTAssertEqual(failing["takeover"], false)
        XCTAssertEqual(failing["failover-loss"], false)
        XCTAssertEqual(failing["backup-cold"], false)
        XCTAssertEqual(failing["backup-idle"], false)  // 400 B in 8 s = 50 B/s
        let r = result(records: slow, sample: nil)
        XCTAssertEqual(verdicts(r)["backup-cold"], false, "no sample is no pass")
        XCTAssertTrue(r.policyLines.contains { $0.contains("arrived 300.0 ms after the cut, so it left on net1 (delay 35 ms) 265.0 ms") },
                      "\(r.policyLines)")
        let late = good.map { r -> StreamRecord in
            var r = r
            if r.sentAt >= 8_000_000_000 && r.sentAt < 8_200_000_000 { r.receivedAt = 8_140_000_000 }
            return r
        }
        XCTAssertEqual(verdicts(result(records: late, sample: cold))["takeover"], false, "arrived 140 ms: left after 105 ms")
        // Failback: no data on net1 from the second sample to the end, nothing lost.
        var back = cold
        back.afterFailback = (14, ["net1": tally(data: 5000, probe: 400)])
        XCTAssertEqual(verdicts(result(records: good, sample: back, wire: ["net1": tally(data: 5000, probe: 600)]))["failback"], true)
        XCTAssertEqual(verdicts(result(records: good, sample: back, wire: ["net1": tally(data: 6250, probe: 600)]))["failback"], false,
                       "data on the backup after the failback")
        XCTAssertEqual(verdicts(result(records: slow, sample: back, wire: ["net1": tally(data: 5000, probe: 600)]))["failback"], false,
                       "packets lost or late")
        XCTAssertNil(verdicts(result(records: good, sample: cold))["failback"], "no second sample: not checked, said so")
    }

    /// The short form judges the delay only while the primary carries (before the cut, and from the failback to
    /// the end); the full form judges the whole run. Records: 20 ms of delay on the primary, 35 ms on the backup
    /// from the cut (8 s of 16) to repair + revert-after + 1.5 s (8.8 + 11.5 = 20.3 s: the rest of a 16 s run).
    func testTheShortFormJudgesTheDelayWhileThePrimaryCarries() throws {
        let backup = try Scenario.load(file: Repository.url("examples/lab/scenarios-policy/backup.yaml").path)
        func delayCheck(seconds: Double, isShort: Bool, backupFrom: Double, backupUntil: Double, primaryExtra: Double = 0)
            -> BenchResult.Check? {
            let count = Int(seconds / 0.02)
            let records = (0..<count).map { i -> StreamRecord in
                let sent = Double(i) * 0.02
                let onBackup = sent >= backupFrom && sent < backupUntil
                return record(i, sent: sent, received: sent + (onBackup ? 0.035 : 0.020 + primaryExtra))
            }
            var result = BenchResult(scenario: backup, runSeconds: seconds, isShort: isShort, start: 0,
                                     paths: Bench.paths.filter { $0.id == "mlink" || $0.id == "net0" },
                                     sent: ["mlink": ["audio": count, "video": 0]], records: records)
            result.addPolicyFigures(records: records, start: 0, beforeCut: nil)
            return result.checks.first { $0.name == "delay" }
        }
        // 40 s short form: cut at 20 s, repair at 22 s, failback judged from 33.5 s; 12 s on the backup.
        let short = try XCTUnwrap(delayCheck(seconds: 40, isShort: true, backupFrom: 20, backupUntil: 32))
        XCTAssertTrue(short.passed, short.detail)
        XCTAssertTrue(short.detail.contains("judged while the primary carries (0-20.0 s and 33.5-40 s)"), short.detail)
        XCTAssertTrue(short.detail.contains("the whole run +"), short.detail)
        // The same run judged whole (the full form's rule) fails: 10 s of 40 at +15 ms (during the cut itself the
        // backup is the fastest live link) is +3.75 ms, and 2 ms more on the primary makes +5.15 ms.
        let whole = try XCTUnwrap(delayCheck(seconds: 40, isShort: false, backupFrom: 20, backupUntil: 32, primaryExtra: 0.002))
        XCTAssertFalse(whole.passed, whole.detail)
        // The short form still fails a primary that is slow where it carries.
        let slow = try XCTUnwrap(delayCheck(seconds: 40, isShort: true, backupFrom: 20, backupUntil: 32, primaryExtra: 0.006))
        XCTAssertFalse(slow.passed, slow.detail)
        // The full form's 100 s: 12 s on the backup is +1.8 ms over the whole run: passes as before.
        let full = try XCTUnwrap(delayCheck(seconds: 100, isShort: false, backupFrom: 50, backupUntil: 62))
        XCTAssertTrue(full.passed, full.detail)
        XCTAssertFalse(full.detail.contains("short form"), full.detail)
    }

    func testBudgetCheckAndExtraCopies() throws {
        let metered = try Scenario.load(file: Repository.url("examples/lab/scenarios-policy/metered.yaml").path)
        let records = (0..<100).map { record($0, sent: Double($0) * 0.02, received: Double($0) * 0.02 + 0.02) }
        func result(net1Data: Int, net1Frames: Int) -> BenchResult {
            var result = BenchResult(scenario: metered, runSeconds: 2, isShort: true, start: 0,
                                     paths: Bench.paths.filter { $0.id == "mlink" || $0.id == "net0" },
                                     sent: ["mlink": ["audio": 100, "video": 0]], records: records)
            var net0 = tally(data: 20_000, probe: 0), net1 = tally(data: net1Data, probe: 0)
            net0.frames[4] = 100; net1.frames[4] = net1Frames
            result.wire = ["net0": net0, "net1": net1]
            result.addPolicyFigures(records: records, start: 0, beforeCut: nil)
            return result
        }
        let within = result(net1Data: 4_000_000, net1Frames: 40)
        XCTAssertEqual(within.checks.first { $0.name == "budget" }?.passed, true)
        XCTAssertTrue(within.policyLines.contains { $0.contains("copies beyond the first (duplicate + replay), all nets: 40 frames") },
                      "\(within.policyLines)")
        XCTAssertEqual(result(net1Data: 5_000_000, net1Frames: 40).checks.first { $0.name == "budget" }?.passed, false)
        XCTAssertEqual(BenchResult.byteSize("4MB"), 4_000_000)
        XCTAssertEqual(BenchResult.byteSize("1MiB"), 1_048_576)
        XCTAssertEqual(BenchResult.byteSize("512"), 512)
        XCTAssertNil(BenchResult.byteSize("lots"))
    }
}
