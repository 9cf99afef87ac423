import FoundationEssentials
import MLinkSystem

/// The run directory (`MLINK_RUN_DIR`, default /run/mlink): one state file, control socket and log per
/// interface.
public struct RunDirectory: Sendable {
    /// The directory's path.
    public let path: String

    /// The run directory named by `MLINK_RUN_DIR` in `environment`, or /run/mlink.
    public init(environment: [String: String]) {
        path = environment["MLINK_RUN_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/run/mlink"
    }

    /// The state file of `interface` (JSON, mode 0600).
    public func statePath(_ interface: String) -> String { "\(path)/\(interface).state" }
    /// The control socket of `interface`'s core.
    public func socketPath(_ interface: String) -> String { "\(path)/\(interface).sock" }
    /// The detached core's stdout and stderr.
    public func logPath(_ interface: String) -> String { "\(path)/\(interface).log" }

    /// Interfaces with a state file, sorted.
    public func interfaces() -> [String] {
        Files.list(path).filter { $0.hasSuffix(".state") }.map { String($0.dropLast(6)) }
    }

    /// The state of `interface`; nil when it has none, `SetupError.stateUnreadable` when the file cannot be
    /// read or decoded.
    public func load(_ interface: String) throws -> InterfaceState? {
        let path = statePath(interface)
        let bytes: [UInt8]
        do {
            guard let read = try Files.read(path) else { return nil }
            bytes = read
        } catch {
            throw SetupError.stateUnreadable(path: path, reason: "\(error)")
        }
        do {
            return try JSONDecoder().decode(InterfaceState.self, from: Data(bytes))
        } catch {
            throw SetupError.stateUnreadable(path: path, reason: "\(error)")
        }
    }

    /// Writes `state` atomically (mode 0600), creating the directory (0700) if needed.
    public func save(_ state: InterfaceState) throws {
        try Files.makeDirectory(path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Files.writeAtomically(Array(try encoder.encode(state)), to: statePath(state.interface))
    }

    /// Removes the state file, socket and log of `interface`.
    public func remove(_ interface: String) {
        Files.remove(statePath(interface))
        Files.remove(socketPath(interface))
        Files.remove(logPath(interface))
    }

    /// Finds the interface for a `down`/`show` argument: an interface with a state file, or the interface
    /// whose state names the argument as its profile (name, path, or file name with or without `.yaml`).
    /// States that cannot be read match only by interface name.
    public func interface(forArgument argument: String) -> String? {
        if interfaces().contains(argument) { return argument }
        for name in interfaces() {
            guard let state = try? load(name) else { continue }
            if state.profileName == argument || state.profilePath == argument { return name }
            let base = state.profilePath.split(separator: "/").last.map(String.init) ?? state.profilePath
            if base == argument || base == argument + ".yaml" { return name }
        }
        return nil
    }
}
