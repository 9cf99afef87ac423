import Foundation
import XCTest
import MLinkConfig
@testable import MLinkEmulator
@testable import MLinkLab
import MLinkYAML

/// A scenario's `modes`, `checks` and third link (issue 15): parsed and checked, written into the topology and
/// VM0's profile, and the extra bytes and per-mode checks computed from tallies and records.
final class BenchModesTests: XCTestCase {
    private func scenario(_ text: String) throws(LabError) -> Scenario { try readScenario(text, file: "modes.yaml") }

    private func message(_ text: String) -> String? { scenarioError(text, file: "modes.yaml") }

    private func adaptive(_ name: String) throws -> Scenario {
        try Scenario.load(file: Repository.url("examples/lab/scenarios-adaptive/\(name).yaml").path)
    }

    func testTheAdaptiveScenariosLoadWithTheirTargets() throws {
        let directory = Repository.url("examples/lab/scenarios-adaptive")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertEqual(Set(files), ["lossy2.yaml", "lte.yaml", "outage.yaml", "lte3.yaml"])
        for file in files {
            let scenario = try Scenario.load(file: directory.appendingPathComponent(file).path)
            XCTAssertEqual(scenario.modes, ["redundant", "adaptive"], file)
            XCTAssertEqual(scenario.seconds, 120, file)
            XCTAssertEqual(Array(scenario.checks.keys), ["adaptive"], file)
        }
        let lossy2 = try adaptive("lossy2")
        XCTAssertEqual(lossy2.checks["adaptive"], ModeChecks(lossFactor: 1, extraBytes: 0.1))
        XCTAssertEqual(lossy2.idealLoss(runSeconds: 120), 0.0004, accuracy: 1e-12)
        XCTAssertEqual(try adaptive("lte").checks["adaptive"], ModeChecks(lossFactor: 3, extraBytes: 0.15, p99Audio: 0.01))
        let outage = try adaptive("outage")
        XCTAssertEqual(outage.checks["adaptive"], ModeChecks(extraBytes: 0.15, lost: 0, late: 0))
        let cut = try XCTUnwrap(outage.cut(runSeconds: 120))
        XCTAssertEqual(cut.at, 48, accuracy: 1e-9)
        XCTAssertEqual(outage.repair(after: cut, runSeconds: 120) ?? 0, 53, accuracy: 0.01)
        // The shipped lte conditions, unchanged.
        let shipped = try Scenario.load(file: Repository.url("examples/lab/scenarios/lte.yaml").path)
        XCTAssertEqual(try adaptive("lte").nets.map(\.emulation), shipped.nets.map(\.emulation))
    }

    /// Three links: net3 is there, the cut takes net0, and the ideal during the cut is the remaining two links'
    /// duplication ideal (GE 0.5%/25%: mean loss 0.005/0.255 each).
    func testTheThreeLinkScenarioAndItsIdeals() throws {
        let lte3 = try adaptive("lte3")
        XCTAssertTrue(lte3.hasThirdLink)
        XCTAssertEqual(lte3.nets.map(\.name), ["net0", "net1", "net3"])
        XCTAssertEqual(lte3.checks["adaptive"], ModeChecks(extraBytes: 0.6, cutLossFactor: 1))
        let cut = try XCTUnwrap(lte3.cut(runSeconds: 120))
        XCTAssertEqual(cut.net, "net0")
        XCTAssertEqual(cut.at, 60, accuracy: 1e-9)
        let mean = 0.005 / 0.255
        XCTAssertEqual(lte3.idealLoss(from: 60, to: 65, runSeconds: 120), mean * mean, accuracy: 1e-12)
        XCTAssertEqual(lte3.idealLoss(from: 0, to: 60, runSeconds: 120), mean * mean * mean, accuracy: 1e-12)
        XCTAssertEqual(try lte3.emulation(of: "net3", runSeconds: 120).forward.delay, 0.05)
        XCTAssertEqual(try lte3.emulation(of: "net0", runSeconds: 120).script.map(\.at).count, 2)
    }

    /// Without `modes` a scenario is one run in mlink's default mode, as before; the CI scenarios set none.
    func testTheShippedScenariosRunOnceAsBefore() throws {
        let directory = Repository.url("examples/lab/scenarios")
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".yaml") {
            let scenario = try Scenario.load(file: directory.appendingPathComponent(file).path)
            XCTAssertEqual(scenario.runModes, [nil], file)
            XCTAssertTrue(scenario.checks.isEmpty, file)
            XCTAssertFalse(scenario.hasThirdLink, file)
            XCTAssertEqual(Bench.topologyText(for: scenario), Bench.topologyText, file)
            XCTAssertEqual(Bench.paths(for: scenario, mode: nil).map(\.title), Bench.paths.map(\.title), file)
        }
    }

    func testBadModeAndCheckKeysNameLineColumnAndKey() {
        let cases: [(String, String?)] = [
            ("modes: [redundant, fast]\n", "modes.yaml:1:20: modes: 'fast' is not one of redundant, adaptive, failover, aggregate"),
            ("modes: [adaptive, adaptive]\n", "modes.yaml:1:19: modes: 'adaptive' is listed twice"),
            ("modes: []\n", "modes.yaml:1:8: modes: names no mode"),
            ("modes: adaptive\n", "modes.yaml:1:8: modes: expected a list of modes such as [redundant, adaptive]"),
            ("modes: [adaptive]\nchecks: {redundant: {lost: 0}}\n",
             "modes.yaml:2:10: checks.redundant: is not a mode this scenario runs (adaptive)"),
            ("checks: {adaptive: {lost: 0}}\n", "modes.yaml:1:10: checks.adaptive: is not a mode this scenario runs (redundant)"),
            ("modes: [adaptive]\nchecks: {adaptive: {speed: 1}}\n",
             "modes.yaml:2:21: checks.adaptive.speed: unknown key (expected loss, extra-bytes, lost, late, p99-audio, cut-loss)"),
            ("modes: [adaptive]\nchecks: {adaptive: {extra-bytes: 10}}\n",
             "modes.yaml:2:34: checks.adaptive.extra-bytes: '10' is not a share of the data such as 10%"),
            ("modes: [adaptive]\nchecks: {adaptive: {loss: ideal}}\n",
             "modes.yaml:2:27: checks.adaptive.loss: 'ideal' is not ideal+margin or a factor such as 3x ideal+margin"),
            ("modes: [adaptive]\nchecks: {adaptive: {loss: 0x ideal+margin}}\n",
             "modes.yaml:2:27: checks.adaptive.loss: '0x ideal+margin' is not ideal+margin or a factor such as 3x ideal+margin"),
            ("modes: [adaptive]\nchecks: {adaptive: {lost: -1}}\n",
             "modes.yaml:2:27: checks.adaptive.lost: '-1' is not a number of packets, 0 or more"),
            ("modes: [adaptive]\nchecks: {adaptive: {p99-audio: soon}}\n",
             "modes.yaml:2:32: checks.adaptive.p99-audio: 'soon' is not a duration such as 10ms"),
            ("modes: [adaptive]\nchecks: {adaptive: {cut-loss: ideal+margin}}\n",
             "modes.yaml:2:21: checks.adaptive.cut-loss: needs a scripted cut (a script entry with down: on)"),
            ("nets: {net2: {delay: 5ms}}\n", "modes.yaml:1:8: nets.net2: unknown key (expected net0, net1, net3)"),
            ("script:\n  - {at: 1, net: net3, down: on}\n", "modes.yaml:2:18: script[0].net: 'net3' is not one of net0, net1"),
            ("script:\n  - {at: 1, net: net3, down: on}\nnets: {net3: {delay: 5ms}}\n", nil),
        ]
        for (text, expected) in cases { XCTAssertEqual(message(text), expected, text) }
        XCTAssertEqual(Scenario.idealFactor("2.5x ideal+margin"), 2.5)
        XCTAssertEqual(Scenario.idealFactor("ideal+margin"), 1)
        XCTAssertNil(Scenario.idealFactor("x ideal+margin"))
    }

    /// The third link joins the topology only when set, and a mode goes into VM0's profile, which mlink's own
    /// loader accepts; a scenario's link policy keeps its links and has its mode replaced.
    func testThirdLinkAndModeGoIntoTheTopologyAndProfile() throws {
        let lte3 = try adaptive("lte3")
        var topology = try Topology.parse(Bench.topologyText(for: lte3), file: "bench")
        XCTAssertEqual(topology.nets.map(\.name), ["net0", "net1", "net2", "net3"])
        XCTAssertEqual(topology.nets(touching: "vm0").map { $0.end(on: "vm0")!.interface }, ["enp0s3", "enp0s8", "enp0s9"])
        XCTAssertEqual(Bench.paths(for: lte3, mode: "adaptive").map(\.id), ["net0", "net1", "net3", "wg", "mlink"])
        XCTAssertEqual(Bench.paths(for: lte3, mode: "adaptive").last?.title, "mlink adaptive (three links)")
        var bench = Bench(lab: Lab.live(), scenario: lte3, labName: "t", runSeconds: 5, isShort: true, streamTool: "",
                          withWireguard: false)
        bench.applyMode(to: &topology)
        XCTAssertTrue(topology.hosts.allSatisfy { $0.profileLines.isEmpty }, "no mode, no change")
        bench.mode = "adaptive"
        bench.applyMode(to: &topology)
        XCTAssertEqual(topology.host(named: "vm0")?.profileLines, ["links: [enp0s3, enp0s8, enp0s9]", "mode: adaptive"])
        let keys = Dictionary(uniqueKeysWithValues: topology.hosts.map { ($0.name, fixedKeyPair($0.name)) })
        let text = ProfileWriter.profile(of: topology.host(named: "vm0")!, in: topology, keys: keys)
        let profile = try ProfileLoader.parse(text: text, path: "/nonexistent/vm0.yaml", directory: "/nonexistent")
        XCTAssertEqual(profile.mode, .adaptive)
        XCTAssertEqual(profile.links.count, 3)
        let router = ProfileWriter.profile(of: topology.host(named: "vm1")!, in: topology, keys: keys)
        XCTAssertTrue(router.contains("enp0s10"), router)
        XCTAssertFalse(router.contains("mode:"), router)

        var policy = try scenario("mlink: {mode: failover, links: [{name: enp0s8, role: backup}]}\nmodes: [adaptive]\n")
        policy.mlink?.copies = 2
        var two = try Topology.parse(Bench.topologyText(for: policy), file: "bench")
        two.hosts[1].profileLines = try XCTUnwrap(policy.mlink).profileLines
        bench = Bench(lab: Lab.live(), scenario: policy, labName: "t", runSeconds: 5, isShort: true, streamTool: "",
                      withWireguard: false)
        bench.mode = "adaptive"
        bench.applyMode(to: &two)
        XCTAssertEqual(two.host(named: "vm0")?.profileLines,
                       ["links: [{name: enp0s3}, {name: enp0s8, role: backup}]", "copies: 2", "mode: adaptive"])
    }

    private func tally(data: Int, frames: Int = 0, parity: Int = 0, probe: Int = 0, control: Int = 0) -> WireTally {
        var tally = WireTally()
        tally.bytes[4] = data; tally.frames[4] = frames; tally.bytes[7] = parity; tally.bytes[5] = probe
        tally.bytes[6] = control
        tally.bytes[1] = 1_000_000  // the plain runs' video lands here; never mlink's
        return tally
    }

    /// One copy of the stream is its data frames (114 bytes of headers + payload); the rest is extra, by kind.
    func testExtraBytesAreWhatIsBeyondOneCopy() {
        let one = 100 * (114 + 160) + 400 * (114 + 1250)
        XCTAssertEqual(one, 573_000)
        // Redundant on two links: each net carries one copy.
        let redundant = ExtraBytes.compute(wire: ["net0": tally(data: one, probe: 5730), "net1": tally(data: one, probe: 5730)],
                                           audioSent: 100, videoSent: 400)
        XCTAssertEqual(redundant, ExtraBytes(dataBytes: one, copyBytes: one, parityBytes: 0, probeBytes: 11_460, controlBytes: 0))
        XCTAssertEqual(redundant.share, 1.02, accuracy: 1e-12)
        XCTAssertEqual(redundant.text, "+102.0% (copies 100.0, parity 0.0, probes 2.0, control 0.0)")
        // One copy, 3% repairs on the other link, parity and feedback; handshake responses (type 2) count as control.
        var net1 = tally(data: 17_190, parity: 11_460, control: 2_865)
        net1.bytes[2] = 2_865
        let adaptive = ExtraBytes.compute(wire: ["net0": tally(data: one), "net1": net1], audioSent: 100, videoSent: 400)
        XCTAssertEqual(adaptive.copyBytes, 17_190)
        XCTAssertEqual(adaptive.parityBytes, 11_460)
        XCTAssertEqual(adaptive.controlBytes, 5_730)
        XCTAssertEqual(adaptive.share, 0.06, accuracy: 1e-12)
        XCTAssertEqual(adaptive.text, "+6.0% (copies 3.0, parity 2.0, probes 0.0, control 1.0)")
        // Fewer data bytes than one copy (packets mlink never sent): no negative copies.
        XCTAssertEqual(ExtraBytes.compute(wire: ["net0": tally(data: 1000)], audioSent: 100, videoSent: 0).copyBytes, 0)
        XCTAssertEqual(ExtraBytes.compute(wire: [:], audioSent: 0, videoSent: 0).share, 0)
    }

    private func record(_ run: String, stream: Int = 0, _ sequence: Int, delay: Double) -> StreamRecord {
        let sent = stream == 0 ? Double(sequence) * 0.02 : Double(sequence / 8) * 0.04
        return StreamRecord(run: run, stream: stream, sequence: sequence, sentAt: Int64(sent * 1e9),
                            receivedAt: Int64((sent + delay) * 1e9))
    }

    /// Each target of `checks` passes on figures that meet it and fails on figures that miss it; the standard loss
    /// check gives way to the scenario's; availability, duplicates and delay stay.
    func testModeChecksFollowTheFigures() throws {
        let text = """
            seconds: 10
            nets: {net0: {delay: 20ms, loss: 2%}, net1: {delay: 35ms, loss: 2%}}
            script:
              - {at: 4, net: net0, down: on}
              - {at: 6, net: net0, down: off}
            modes: [redundant, adaptive]
            checks:
              adaptive: {loss: ideal+margin, extra-bytes: 10%, lost: 0, late: 1, p99-audio: 10ms, cut-loss: ideal+margin}
            """
        let scenario = try scenario(text)
        let paths = Bench.paths.filter { $0.id == "mlink" || $0.id == "net0" }
        // 500 audio packets: net0 alone loses 10 and has a 21 ms p99; mlink as given.
        let single = (0..<500).filter { $0 % 50 != 7 }.map { record("net0", $0, delay: $0 % 100 == 3 ? 0.04 : 0.021) }
        func result(mode: String, lostEvery: Int?, delay: Double, copies: Int) -> BenchResult {
            let mine = (0..<500).filter { lostEvery == nil || $0 % lostEvery! != 1 }.map { record("mlink", $0, delay: delay) }
            var result = BenchResult(scenario: scenario, runSeconds: 10, isShort: false, start: 0, paths: paths,
                                     sent: ["mlink": ["audio": 500, "video": 0], "net0": ["audio": 500, "video": 0]],
                                     records: single + mine)
            result.wire = ["net0": tally(data: 500 * 274), "net1": tally(data: copies * 274)]
            result.addModeFigures(mode: mode, records: single + mine, start: 0, showBefore: nil, showAfter: nil)
            return result
        }
        func verdicts(_ result: BenchResult) -> [String: Bool] {
            Dictionary(uniqueKeysWithValues: result.checks.map { ($0.name, $0.passed) })
        }
        let good = result(mode: "adaptive", lostEvery: nil, delay: 0.025, copies: 25)
        XCTAssertEqual(good.mode, "adaptive")
        XCTAssertEqual(good.extra?.copyBytes, 25 * 274)
        XCTAssertEqual(verdicts(good), ["availability": true, "duplicates": true, "delay": true, "loss": true, "extra-bytes": true,
                                        "lost": true, "late": true, "p99-audio": true, "cut-loss": true])
        // Every 5th packet lost (also 20 of the 100 in the cut), 60 ms p99, 20% copies.
        let bad = result(mode: "adaptive", lostEvery: 5, delay: 0.06, copies: 100)
        XCTAssertEqual(verdicts(bad), ["availability": false, "duplicates": true, "delay": false, "loss": false, "extra-bytes": false,
                                       "lost": false, "late": true, "p99-audio": false, "cut-loss": false])
        let cutLoss = try XCTUnwrap(bad.checks.first { $0.name == "cut-loss" })
        XCTAssertTrue(cutLoss.detail.hasPrefix("net0 cut 4.0-6.0 s: 20 of 100 lost (20.000%), ideal 2.000%"), cutLoss.detail)
        XCTAssertTrue(bad.checks.first { $0.name == "p99-audio" }!.detail
            .contains("audio p99 60.0 ms vs best single link (net0) 40.0 ms"), "\(bad.checks)")
        // The redundant run has no checks of its own: the standard ones stand.
        XCTAssertEqual(Set(verdicts(result(mode: "redundant", lostEvery: nil, delay: 0.025, copies: 500)).keys),
                       ["availability", "loss", "duplicates", "delay"])
    }

    func testCutWindowCountsWhatWasSentThen() {
        // Audio at 20 ms, video 8 packets per 40 ms frame; the window 1.0-1.2 s holds audio 50..59, video 200..239.
        let records = (0..<100).filter { $0 != 52 }.map { record("mlink", $0, delay: 0.01) }
            + (0..<400).filter { $0 != 205 && $0 != 300 }.map { record("mlink", stream: 1, $0, delay: 0.01) }
        let window = BenchResult.cutWindowLoss(records: records, start: 0, from: 1.0, to: 1.2, audioSent: 100, videoSent: 400)
        XCTAssertEqual(window.sent, 10 + 40)
        XCTAssertEqual(window.lost, 2)
    }

    /// Traffic by purpose is summed over the innermost objects that hold a key: connections, not their peer's total.
    func testShowSumsTakeTheInnermostObjects() throws {
        let text = """
            {"peers": [{"name": "vm1", "repaired": 7, "tx_data_bytes": 300,
                        "connections": [{"tx_data_bytes": 100, "tx_replay_bytes": 5}, {"tx_data_bytes": 200}]}],
             "policies": {"adaptive": [{"peer": "vm1", "level": "retransmit", "changes": 3}]}}
            """
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8))
        XCTAssertEqual(BenchResult.sums(json, keys: ["tx_data_bytes", "tx_replay_bytes", "repaired", "parity_sent"]),
                       ["tx_data_bytes": 300, "tx_replay_bytes": 5, "repaired": 7, "parity_sent": 0])
        let scenario = try scenario("modes: [adaptive]\n")
        var result = BenchResult(scenario: scenario, runSeconds: 1, isShort: true, start: 0,
                                 paths: Bench.paths.filter { $0.id == "mlink" }, sent: [:], records: [])
        result.addModeFigures(mode: "adaptive", records: [], start: 0, showBefore: ["peers": [["tx_data_bytes": 40]]],
                              showAfter: json as? [String: Any])
        XCTAssertEqual(result.purposes["tx_data_bytes"], 260)
        XCTAssertTrue(result.modeLines.contains { $0.contains("changes 3, level retransmit, peer vm1") }, "\(result.modeLines)")
    }

    func testTheRouterSaysWhatRescuedVM0sPackets() throws {
        func show(_ late: Int, _ afterNack: Int, _ parity: Int) -> [String: Any] {
            ["peers": [["name": "vm2", "delivered_late": 1000, "delivered": 5000],
                       ["name": "vm0", "delivered": 9000 + late, "duplicates": 12, "delivered_late": late,
                        "delivered_after_nack": afterNack, "parity_recovered": parity]]]
        }
        var result = BenchResult(scenario: try scenario("modes: [adaptive]\n"), runSeconds: 1, isShort: true, start: 0,
                                 paths: Bench.paths.filter { $0.id == "mlink" }, sent: [:], records: [])
        result.addModeFigures(mode: "adaptive", records: [], start: 0, showBefore: ["peers": [["repaired": 2]]],
                              showAfter: ["peers": [["repaired": 52, "repair_misses": 3]]],
                              receiverBefore: show(10, 4, 1), receiverAfter: show(90, 64, 21))
        XCTAssertEqual(result.rescued, ["delivered": 80, "duplicates": 0, "delivered_late": 80, "delivered_after_nack": 60,
                                        "parity_recovered": 20], "vm0's growth only, not vm2's")
        XCTAssertTrue(result.modeLines.contains {
            $0.contains("rescued by parity 20; delivered after a NACK 60 (vm0 sent 50 repairs, 3 NACKed packets past repair); "
                        + "other late deliveries (a slower link's copy, a replay, reordering) 20")
        }, "\(result.modeLines)")
        XCTAssertNil(BenchResult.peerCounters(["peers": [["name": "vm2"]]], peer: "vm0", keys: BenchResult.rescueKeys))
    }

    func testTheSummaryPutsEveryModeBesideTheSingleLinks() throws {
        let scenario = try scenario("modes: [redundant, adaptive]\n")
        let paths = Bench.paths.filter { $0.id == "mlink" || $0.id == "net0" }
        func result(_ mode: String, copies: Int) -> BenchResult {
            let records = (0..<100).map { record("mlink", $0, delay: 0.02) } + (0..<98).map { record("net0", $0, delay: 0.01) }
            var result = BenchResult(scenario: scenario, runSeconds: 2, isShort: true, start: 0,
                                     paths: Bench.paths(for: scenario, mode: mode).filter { p in paths.contains { $0.id == p.id } },
                                     sent: ["mlink": ["audio": 100, "video": 0], "net0": ["audio": 100, "video": 0]],
                                     records: records)
            result.wire = ["net0": tally(data: 100 * 274), "net1": tally(data: copies * 274)]
            result.addModeFigures(mode: mode, records: records, start: 0, showBefore: nil, showAfter: nil)
            return result
        }
        let lines = BenchResult.summary([result("redundant", copies: 100), result("adaptive", copies: 4)])
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6, lines.joined(separator: "\n"))
        XCTAssertTrue(lines[2].hasPrefix("  net0 alone  "), lines[2])
        XCTAssertTrue(lines[2].contains(" 2.000 "), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("  mlink redundant (both links)"), lines[3])
        XCTAssertTrue(lines[3].hasSuffix("+100.0% (copies 100.0, parity 0.0, probes 0.0, control 0.0)"), lines[3])
        XCTAssertTrue(lines[4].hasSuffix("+4.0% (copies 4.0, parity 0.0, probes 0.0, control 0.0)"), lines[4])
    }
}
