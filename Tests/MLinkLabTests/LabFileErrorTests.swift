import Foundation
import XCTest
@testable import MLinkEmulator
@testable import MLinkLab

/// Scenario and time-script files report problems as topologies and profiles do: `FILE:LINE:COL: key: problem`.
final class LabFileErrorTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "mlink-lab-file-errors-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ text: String, as name: String) throws -> String {
        let path = "\(directory)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The message `body` throws, with FILE replaced by the file's name, checked to be a bad-file exit (78).
    private func message(_ body: () throws(LabError) -> Void, file path: String) -> String? {
        do throws(LabError) {
            try body()
            return nil
        } catch {
            XCTAssertEqual(error.exitCode, 78, "\(error)")
            return error.description.replacingOccurrences(of: path, with: "FILE")
        }
    }

    func testScenarioErrorsNameLineColumnAndKey() throws {
        let settingKeys = "description, seconds, short-seconds, deadline, nets, script, mlink, modes, checks"
        let cases: [(String, String)] = [
            ("seconds: soon\n", "FILE:1:10: seconds: 'soon' is not a positive time such as 20 or 20s"),
            ("seconds: [1]\n", "FILE:1:10: seconds: expected a single value"),
            ("deadline: 0\n", "FILE:1:11: deadline: '0' is not a positive duration such as 150ms"),
            ("colour: red\n", "FILE:1:1: colour: unknown key (expected \(settingKeys))"),
            ("- 1\n", "FILE:1:1: scenario: expected a mapping of \(settingKeys)"),
            ("", "FILE:1:1: document: the file holds no YAML document; expected a mapping of \(settingKeys)"),
            ("seconds: 5\nseconds: 6\n", "FILE:2:1: seconds: duplicate key"),
            ("nets:\n  net2: {delay: 5ms}\n", "FILE:2:3: nets.net2: unknown key (expected net0, net1, net3)"),
            ("nets:\n  net0: {delay: fast}\n", "FILE:2:17: nets.net0.delay: expected a duration such as 40ms"),
            ("nets:\n  net0: {delay: 5ms\n", "FILE:3:1: yaml: did not find expected ',' or '}'"
                + " (while parsing a flow mapping at line 2, column 9)"),
            ("script:\n  - {at: 40%, net: net0, down: on}\n  - {at: 20%, net: net0, down: off}\n",
             "FILE:3:5: script[1]: steps must be in time order"),
            ("script:\n  - {at: 1s, net: net3, down: on}\n", "FILE:2:19: script[0].net: 'net3' is not one of net0, net1"),
            ("script:\n  - {at: 1s, down: on}\n", "FILE:2:5: script[0]: every step needs 'net'"),
            ("script:\n  - {at: soon, net: net0}\n", "FILE:2:10: script[0].at: 'soon' is not a time such as 12.5s or 40%"),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            let path = try write(text, as: "case\(index).yaml")
            XCTAssertEqual(message({ () throws(LabError) in _ = try Scenario.load(file: path) }, file: path), expected,
                           "case \(index): \(text)")
        }
    }

    func testAFromThatIsNoEndOfTheNetPointsAtTheStep() throws {
        let path = try write("script:\n  - {at: 1s, net: net0, from: vm9, down: on}\n", as: "from.yaml")
        let scenario = try Scenario.load(file: path)
        XCTAssertEqual(message({ () throws(LabError) in _ = try scenario.emulation(of: "net0", runSeconds: 6) }, file: path),
                       "FILE:2:31: script[0].from: 'vm9' is not an end of the net (vm0, vm1)")
    }

    func testTimeScriptErrorsNameLineColumnAndKey() throws {
        let stepKeys = (["at", "from"] + Emulation.keys).joined(separator: ", ")
        let cases: [(String, String)] = [
            ("- {at: 40%, down: on}\n", "FILE:1:8: steps[0].at: '40%': use seconds here (shares of a run are for scenarios)"),
            ("- {at: 1s, bogus: 1}\n", "FILE:1:12: steps[0].bogus: unknown key (expected \(stepKeys))"),
            ("- {at: 1s, net: net0}\n", "FILE:1:12: steps[0].net: unknown key (expected \(stepKeys))"),
            ("- {delay: 5ms}\n", "FILE:1:3: steps[0]: every step needs 'at'"),
            ("- {at: 1s, loss: lots}\n", "FILE:1:18: steps[0].loss: expected a percentage such as 2%"),
            ("- {at: 2s}\n- {at: 1s}\n", "FILE:2:3: steps[1]: steps must be in time order"),
            ("at: 1s\n", "FILE:1:1: steps: expected a list of {at: TIME, KEY: VALUE...}"),
            ("- [at, 1s]\n", "FILE:1:3: steps[0]: expected a mapping of \(stepKeys)"),
            ("", "FILE:1:1: document: the file holds no YAML document; expected a list of steps such as "
                + "{at: 12.5s, delay: 80ms}"),
            ("- {at: 1s}\n---\n- {at: 2s}\n", "FILE:2:1: document: a second document starts here; a time script file "
                + "holds exactly one"),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            let path = try write(text, as: "script\(index).yaml")
            XCTAssertEqual(message({ () throws(LabError) in _ = try TimeScript.load(file: path) }, file: path), expected,
                           "case \(index): \(text)")
        }
        let path = try write("- {at: 1s, from: vm9, down: on}\n", as: "from.yaml")
        let script = try TimeScript.load(file: path)
        XCTAssertEqual(message({ () throws(LabError) in
            _ = try script.steps(forNet: nil, ends: ["vm0", "vm1"], runSeconds: 0)
        }, file: path), "FILE:1:18: steps[0].from: 'vm9' is not an end of the net (vm0, vm1)")
    }

    func testAMissingFileIsAFileError() {
        do throws(LabError) {
            _ = try TimeScript.load(file: directory + "/absent.yaml")
            XCTFail("an absent file loaded")
        } catch {
            XCTAssertEqual(error, .file(operation: "reading", path: directory + "/absent.yaml", reason: "no such file"))
            XCTAssertEqual(error.exitCode, 71)
        }
    }
}
