import Foundation
import MLinkSystem

/// What a running lab is made of, saved as `state.json` in the lab's directory.
///
/// Written before the first namespace is created, so that `down`, `cut` and `loss` work from it alone, even
/// after a crash in the middle of `up` or after the topology file changed.
struct LabState: Codable, Equatable {
    /// One host: its namespace and the mlink instance in it.
    struct Host: Codable, Equatable {
        var name: String
        var role: Topology.Role
        var namespace: String
        /// The mlink TUN name, what `mlink down` takes.
        var interface: String
        /// `VIRTUAL-IP/PREFIX`.
        var virtualAddress: String
        var profile: String
        /// The `MLINK_RUN_DIR` of this host's mlink (control socket, pid file).
        var runDirectory: String
    }

    var name: String
    /// The topology file `up` read, for `status` only.
    var topologyFile: String
    var hosts: [Host]
    var wires: [Wire]
    /// The mlink binary `up` started, so that `down` stops hosts with the same one; nil with `--no-start`.
    var mlink: String?

    /// Hosts in stop order: clients first, the router last.
    var stopOrder: [Host] { hosts.filter { $0.role != .router } + hosts.filter { $0.role == .router } }
}

/// Where labs keep their files: `/run/mlink-lab/LAB/`, the root overridable with `MLINK_LAB_DIR`.
struct LabPaths {
    /// The directory holding one directory per lab.
    var root: String

    static func fromEnvironment() -> LabPaths {
        LabPaths(root: ProcessInfo.processInfo.environment["MLINK_LAB_DIR"] ?? "/run/mlink-lab")
    }

    func directory(of lab: String) -> String { "\(root)/\(lab)" }
    func stateFile(of lab: String) -> String { "\(directory(of: lab))/state.json" }
    func lockFile(of lab: String) -> String { "\(directory(of: lab))/lock" }
    func runDirectory(of lab: String, host: String) -> String { "\(directory(of: lab))/run/\(host)" }

    /// The labs that have a state file, sorted by name.
    func runningLabs() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: stateFile(of: $0)) }.sorted()
    }

    /// `given`, or the only running lab when nil.
    func resolve(_ given: String?) throws(LabError) -> String {
        if let given { return given }
        let labs = runningLabs()
        switch labs.count {
        case 0: throw .noLabRunning
        case 1: return labs[0]
        default: throw .severalLabs(labs)
        }
    }

    func load(_ lab: String) throws(LabError) -> LabState {
        let path = stateFile(of: lab)
        guard let data = FileManager.default.contents(atPath: path) else { throw .labNotRunning(lab) }
        do {
            return try JSONDecoder().decode(LabState.self, from: data)
        } catch {
            throw .file(operation: "reading", path: path, reason: "\(error)")
        }
    }

    /// Replaces the state file atomically (write a temporary file, then rename), mode 0600.
    func save(_ state: LabState) throws(LabError) {
        let path = stateFile(of: state.name)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try writePrivateFile(path, contents: try encoder.encode(state))
        } catch let error as LabError {
            throw error
        } catch {
            throw .file(operation: "writing", path: path, reason: "\(error)")
        }
    }
}

/// Writes `contents` to `path` with mode 0600 via a temporary file and a rename.
func writePrivateFile(_ path: String, contents: Data) throws(LabError) {
    do {
        try Files.writeAtomically(Array(contents), to: path, mode: 0o600)
    } catch {
        throw .file(operation: "writing", path: path, reason: (error as? SystemError)?.reason ?? "\(error)")
    }
}

/// An exclusive `flock` on a lab's lock file, held until deinit, so that concurrent `cut`/`loss`/`down`
/// calls do not lose each other's state updates.
final class LabLock {
    private let lock: FileLock

    /// Blocks until the lock is ours.
    init(path: String) throws(LabError) {
        do {
            lock = try FileLock(path: path)
        } catch {
            throw .file(operation: "locking", path: path, reason: (error as? SystemError)?.reason ?? "\(error)")
        }
    }
}
