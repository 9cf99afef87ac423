import Foundation
import MLinkNetlink
import MLinkSystem
import MLinkTypes

/// What `up` created, kept under the run directory so `down` can undo exactly that, even if the profile changed
/// or was deleted meanwhile.
public struct InterfaceState: Codable, Equatable {
    /// A route `up` installed.
    public struct RouteRecord: Codable, Equatable {
        public var destination: String
        public var table: UInt32
        public var gateway: String?
        public var device: String?
    }

    /// A policy rule `up` installed.
    public struct RuleRecord: Codable, Equatable {
        public var source: String
        public var table: UInt32
        public var priority: UInt32
    }

    public var interface: String
    public var profileName: String
    public var profilePath: String
    public var pid: Int32
    public var routes: [RouteRecord]
    public var rules: [RuleRecord]
    /// The first table of the core's per-link source routing; with the two below, what `down` sweeps whatever
    /// the core left. nil when source routing is off, and in states written before it existed.
    public var routingTableBase: UInt32?
    /// The priority of the core's per-link rules.
    public var routingRulePriority: UInt32?
    /// The route protocol tagging the core's per-link tables and rules (nil: 109).
    public var routingProtocol: UInt8?

    public init(interface: String, profileName: String, profilePath: String, pid: Int32 = 0,
                routes: [RouteRecord] = [], rules: [RuleRecord] = []) {
        self.interface = interface; self.profileName = profileName; self.profilePath = profilePath
        self.pid = pid; self.routes = routes; self.rules = rules
    }
}

/// The run directory (`MLINK_RUN_DIR`, default /run/mlink): state files, control sockets and logs.
public struct RunDirectory {
    public let path: String

    public init(environment: [String: String]) {
        path = environment["MLINK_RUN_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/run/mlink"
    }

    public func statePath(_ interface: String) -> String { "\(path)/\(interface).state" }
    public func socketPath(_ interface: String) -> String { "\(path)/\(interface).sock" }
    public func logPath(_ interface: String) -> String { "\(path)/\(interface).log" }

    /// Interfaces with a state file, sorted.
    public func interfaces() -> [String] {
        Files.list(path).filter { $0.hasSuffix(".state") }.map { String($0.dropLast(6)) }
    }

    public func load(_ interface: String) -> InterfaceState? {
        guard let bytes = try? Files.read(statePath(interface)) else { return nil }
        return try? JSONDecoder().decode(InterfaceState.self, from: Data(bytes))
    }

    public func save(_ state: InterfaceState) throws {
        try Files.makeDirectory(path)
        let data = try JSONEncoder().encode(state)
        try Files.writeAtomically(Array(data), to: statePath(state.interface))
    }

    /// Removes the state file, socket and log of `interface`.
    public func remove(_ interface: String) {
        Files.remove(statePath(interface))
        Files.remove(socketPath(interface))
        Files.remove(logPath(interface))
    }

    /// Finds the interface for a `down`/`show` argument: an interface name, or a profile name or path.
    public func interface(forArgument argument: String) -> String? {
        if load(argument) != nil { return argument }
        for name in interfaces() {
            guard let state = load(name) else { continue }
            if state.profileName == argument || state.profilePath == argument { return name }
            let base = (state.profilePath as NSString).lastPathComponent
            if base == argument || base == argument + ".yaml" { return name }
        }
        return nil
    }
}
