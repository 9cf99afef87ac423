import XCTest
@testable import MLinkEmulator
@testable import MLinkLab

final class BenchTests: XCTestCase {
    func testBenchTopologyIsTheExampleFile() throws {
        let file = try Topology.parse(try Repository.text("examples/lab/bench.yaml"), file: "bench.yaml")
        XCTAssertEqual(try Topology.parse(Bench.topologyText, file: "bench"), file)
    }

    func testEveryScenarioLoads() throws {
        let directory = Repository.url("examples/lab/scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertEqual(Set(files), ["clean.yaml", "lte.yaml", "outage.yaml", "asymmetric.yaml", "lossy.yaml", "flapping.yaml"])
        for file in files {
            let scenario = try Scenario.load(file: directory.appendingPathComponent(file).path)
            XCTAssertEqual(scenario.nets.map(\.name), ["net0", "net1"], file)
            XCTAssertLessThanOrEqual(scenario.shortSeconds, 6, file)
        }
    }

    func testOutageIdealsFollowTheScript() throws {
        let scenario = try Scenario.load(file: Repository.url("examples/lab/scenarios/outage.yaml").path)
        XCTAssertEqual(scenario.idealLoss(runSeconds: 20), 0)
        XCTAssertEqual(scenario.idealDelay(at: 5, runSeconds: 20), 0.02)
        XCTAssertEqual(scenario.idealDelay(at: 10, runSeconds: 20), 0.035)   // net0 is down from 8 s to 13 s
        XCTAssertEqual(scenario.idealDelay(at: 14, runSeconds: 20), 0.02)
        let steps = try scenario.emulation(of: "net0", runSeconds: 20).script
        XCTAssertEqual(steps.map(\.at), [8, 13])
        XCTAssertEqual(try scenario.emulation(of: "net1", runSeconds: 20).script, [])
    }

    func testIdealLossIsTheProductOfTheLinks() throws {
        let lossy = try Scenario.load(file: Repository.url("examples/lab/scenarios/lossy.yaml").path)
        XCTAssertEqual(lossy.idealLoss(runSeconds: 6), 0.01, accuracy: 1e-9)
        let flapping = try Scenario.load(file: Repository.url("examples/lab/scenarios/flapping.yaml").path)
        XCTAssertEqual(flapping.idealLoss(runSeconds: 6), 0, accuracy: 1e-9)
        XCTAssertEqual(flapping.idealDelay(at: 0.5, runSeconds: 6), 0.025)   // net1 (15 ms) down
        XCTAssertEqual(flapping.idealDelay(at: 1.5, runSeconds: 6), 0.015)
    }

    func testStreamStatistics() {
        // Five packets sent 20 ms apart: #1 lost, #3 late, #4 arrives twice and before #2.
        let ms: Int64 = 1_000_000
        func record(_ sequence: Int, delay: Int64, at order: Int64) -> StreamRecord {
            StreamRecord(run: "r", stream: 0, sequence: sequence, sentAt: Int64(sequence) * 20 * ms,
                         receivedAt: Int64(sequence) * 20 * ms + delay * ms + order)
        }
        let records = [record(0, delay: 10, at: 0), record(4, delay: 5, at: 0), record(2, delay: 70, at: 0),
                       record(4, delay: 30, at: 1), record(3, delay: 200, at: 0)]
        let s = StreamStatistics.compute(records, sent: 5, deadline: 0.15, start: 0) { _ in 0.005 }
        XCTAssertEqual(s.lost, 1)
        XCTAssertEqual(s.late, 1)
        XCTAssertEqual(s.duplicates, 1)
        XCTAssertEqual(s.reordered, 2)   // #2 after #4, and the late #3 after #4
        XCTAssertEqual(s.availability, 0.6, accuracy: 1e-12)
        XCTAssertEqual(s.longestGapPackets, 1)
        XCTAssertEqual(s.maxMs, 200)
        XCTAssertEqual(StreamRecord.parse("r 0 1 10 20\nbad line\nr 1 2 30 45\n").count, 2)
    }

    func testTheExampleTraceReads() throws {
        let path = Repository.url("examples/lab/traces/lte-drive.yaml").path
        let script = try TimeScript.load(file: path)
        let steps = try script.steps(forNet: nil, ends: ["vm0", "vm1"], runSeconds: 0)
        XCTAssertEqual(steps.map(\.at), [0, 10, 20, 25, 28, 35])
        var emulation = WireEmulation()
        for step in steps { try emulation.apply(step.settings, to: step.direction) }
        XCTAssertEqual(emulation.forward.words, ["delay=40ms", "jitter=8ms", "loss=0.5%", "rate=20mbit", "queue=100ms"])
    }

    func testTicksAreRound() {
        XCTAssertEqual(BenchChart.ticks(0, 150), [0, 50, 100, 150])
        XCTAssertEqual(BenchChart.ticks(6, 15), [6, 8, 10, 12, 14])
    }
}
