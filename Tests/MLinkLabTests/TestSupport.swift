import MLinkProtocol
import Foundation
import XCTest
@testable import MLinkLab
import MLinkTypes
import MLinkYAML

/// Files shipped in the repository, found from this file's path.
enum Repository {
    static func url(_ relative: String) -> URL {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        fatalError("\(relative) not found above \(#filePath)")
    }

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: url(relative), encoding: .utf8)
    }
}

/// A scenario read from `text` as if it were the file `file` (BenchModesTests, ScenarioPolicyTests).
func readScenario(_ text: String, file: String) throws(LabError) -> Scenario {
    let root: YAMLNode
    do { root = try YAMLReader.readDocument(bytes: Array(text.utf8), documentName: "scenario", contents: "a mapping") }
    catch { throw .located(file: file, line: error.mark.line, column: error.mark.column, key: error.key, problem: error.problem) }
    return try Scenario.read(root, file: file)
}

/// The error `text` gives as a scenario (a profile-style error, exit code 78), or nil when it reads.
func scenarioError(_ text: String, file: String) -> String? {
    do throws(LabError) {
        _ = try readScenario(text, file: file)
        return nil
    } catch {
        XCTAssertEqual(error.exitCode, 78, "\(error)")
        return error.description
    }
}

/// Fixed, distinct key pairs per host name, so profiles are golden text.
func fixedKeyPair(_ host: String) -> KeyPair {
    let seed = UInt8(truncatingIfNeeded: host.utf8.reduce(0) { $0 &* 31 &+ Int($1) })
    return try! KeyPair(privateKey: Key32(bytes: (0..<32).map { UInt8(truncatingIfNeeded: Int(seed) &+ $0) })!)
}

/// Records commands instead of running them; tracks namespaces so existence checks stay truthful.
final class RecordingSystem: LabSystem {
    /// Rendered commands, and notes as `# TEXT`, with `root` shown as `ROOT`.
    var trace: [String] = []
    var namespaces: Set<String> = []
    /// A rendered command that fails as if the kernel refused it.
    var failing: String?
    let root: String

    init(root: String) { self.root = root }

    func run(_ arguments: [String], inheritOutput: Bool) throws(LabError) {
        let rendered = shellQuoted(arguments).replacingOccurrences(of: root, with: "ROOT")
        trace.append(rendered)
        if rendered == failing { throw .command(rendered, status: 2, output: "RTNETLINK answers: File exists\n") }
        if arguments.starts(with: ["ip", "netns", "add"]) { namespaces.insert(arguments[3]) }
        if arguments.starts(with: ["ip", "netns", "del"]) { namespaces.remove(arguments[3]) }
        // A started mlink leaves its control socket in MLINK_RUN_DIR.
        if let env = arguments.first(where: { $0.hasPrefix("MLINK_RUN_DIR=") }), arguments.last?.hasSuffix(".yaml") == true {
            let directory = String(env.dropFirst("MLINK_RUN_DIR=".count))
            _ = FileManager.default.createFile(atPath: directory + "/mlink.sock", contents: Data())
        }
    }

    func namespaceExists(_ name: String) -> Bool { namespaces.contains(name) }

    func note(_ text: String) { trace.append("# " + text.replacingOccurrences(of: root, with: "ROOT")) }

    func terminate(pid: Int32) -> Bool {
        trace.append("kill \(pid)")
        return true
    }

    /// Records the command and answers a fixed pid (4242), as if the relay had started.
    func spawnDetached(_ arguments: [String], log: String, readyFile: String) throws(LabError) -> Int32 {
        trace.append((shellQuoted(arguments) + " &").replacingOccurrences(of: root, with: "ROOT"))
        return 4242
    }

    func signal(pid: Int32, _ signal: Int32) -> Bool {
        trace.append("kill -\(signal) \(pid)")
        return true
    }
}

/// A fresh directory under /tmp, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "mlink-lab-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
