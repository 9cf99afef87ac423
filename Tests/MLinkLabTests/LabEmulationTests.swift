import MLinkEmulator
import XCTest
@testable import MLinkLab

/// How lab files reach the emulator: a topology's `emulate:` mapping and a time script's steps.
final class LabEmulationTests: XCTestCase {
    func testTopologyEmulateMappingMakesARelayWire() throws {
        let text = """
            virtual-network: 10.77.0.0/24
            hosts:
              b: {role: router, virtual-ip: 10.77.0.1}
              a: {virtual-ip: 10.77.0.2}
            nets:
              n0: {ends: [a eth0 192.168.100.1/24, b eth0 192.168.100.2/24], emulate: {delay: 20ms, loss: 1%}}
              n1: {ends: [a eth1 192.168.101.1/24, b eth1 192.168.101.2/24]}
            """
        let topology = try Topology.parse(text, file: "t.yaml")
        XCTAssertEqual(topology.nets[0].emulation?.forward.delay ?? 0, 0.02, accuracy: 1e-12)
        XCTAssertNil(topology.nets[1].emulation)
        let bad = text.replacingOccurrences(of: "loss: 1%", with: "loss: lots")
        XCTAssertThrowsError(try Topology.parse(bad, file: "t.yaml")) { error in
            XCTAssertEqual("\(error)", "t.yaml:6:95: nets.n0.emulate.loss: expected a percentage such as 2%")
        }
    }

    func testTimeScriptReadsStepsAndDirections() throws {
        let text = """
            - {at: 1s, delay: 80ms}
            - {at: 2.5s, from: b, down: on}
            """
        let reader = LabFileReader(file: "s.yaml")
        let node = try reader.document(bytes: Array(text.utf8), documentName: "time script", contents: "steps")
        let script = try TimeScript.read(node, reader: reader, path: "steps", nets: nil, allowsShares: false)
        let steps = try script.steps(forNet: nil, ends: ["a", "b"], runSeconds: 0)
        XCTAssertEqual(steps, [WireEmulation.ScriptStep(at: 1, direction: .both, settings: ["delay=80ms"]),
                               WireEmulation.ScriptStep(at: 2.5, direction: .backward, settings: ["down=on"])])
    }
}
