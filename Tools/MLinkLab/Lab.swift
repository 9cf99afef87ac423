import Foundation

/// The lab's operations (`up`, `down`, impairments, status) over a `LabSystem`, with its files under `paths`.
///
/// Every operation after `up` works from the saved `LabState`, never from the topology file.
struct Lab {
    var paths: LabPaths
    var system: LabSystem
    /// Where to look for `mlink`: `MLINK_BIN`, then this directory (mlink-lab's own), then PATH.
    var mlinkOverride: String?
    var executableDirectory: String?
    /// This program (`/proc/self/exe`), which runs the relays of emulated nets as `mlink-lab _relay`.
    var relayExecutable = "mlink-lab"
    /// Makes each host's key pair; tests substitute fixed keys.
    var makeKeyPair: (String) -> KeyPair = { _ in KeyPair.generate() }

    /// The lab for the real machine and environment.
    static func live() -> Lab {
        let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return Lab(paths: .fromEnvironment(), system: HostSystem(),
                   mlinkOverride: ProcessInfo.processInfo.environment["MLINK_BIN"],
                   executableDirectory: exe.map { ($0 as NSString).deletingLastPathComponent },
                   relayExecutable: exe ?? "mlink-lab")
    }

    /// Lab names become namespace and nftables-free file names: keep them short and plain.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter, name.count <= 24 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// The lab name `up` uses by default: the topology file's base name (`seed` for `examples/lab/seed.yaml`).
    static func defaultName(forTopologyFile path: String) -> String {
        let base = (path as NSString).lastPathComponent
        for suffix in [".yaml", ".yml"] where base.hasSuffix(suffix) { return String(base.dropLast(suffix.count)) }
        return base
    }

    static func namespace(lab: String, host: String) -> String { "\(lab)-\(host)" }

    /// The namespace where the relays of a lab's emulated nets run.
    static func wireNamespace(lab: String) -> String { "\(lab)-wire" }

    /// The `mlink` binary to run, or `LabError.mlinkNotFound`.
    func locateMlink() throws(LabError) -> String {
        if let mlinkOverride {
            guard let found = findExecutable(mlinkOverride) else { throw .mlinkNotFound }
            return found
        }
        if let executableDirectory {
            let sibling = executableDirectory + "/mlink"
            if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        }
        guard let found = findExecutable("mlink") else { throw .mlinkNotFound }
        return found
    }

    /// The state `up` saves for `topology`, before anything exists.
    func plannedState(for topology: Topology, topologyFile: String, lab: String) -> LabState {
        let directory = paths.directory(of: lab)
        let hosts = topology.hosts.map { host in
            LabState.Host(
                name: host.name, role: host.role, namespace: Lab.namespace(lab: lab, host: host.name),
                interface: host.tunName,
                virtualAddress: "\(host.virtualIP)/\(topology.virtualNetwork.prefixLength)",
                profile: "\(directory)/\(host.name).yaml",
                runDirectory: paths.runDirectory(of: lab, host: host.name))
        }
        let wires = topology.nets.enumerated().map { index, net in
            var wire = Wire(net: net.name, ends: net.ends.map { end in
                Wire.End(host: end.host, namespace: Lab.namespace(lab: lab, host: end.host),
                         interface: end.interface, address: end.address.description)
            })
            if var emulation = net.emulation {
                let base = "\(directory)/relay-\(net.name)"
                // One seed per net (FNV-1a of its name): with one seed for all, two relays fed the same packet
                // sequence (mlink's copies) would drop the same packets, and redundancy would look useless.
                emulation.seed = net.name.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
                wire.emulation = emulation
                wire.relay = Wire.RelayProcess(
                    namespace: Lab.wireNamespace(lab: lab), interfaces: ["w\(index)-a", "w\(index)-b"],
                    configFile: base + ".json", statsFile: base + ".stats", logFile: base + ".log",
                    readyFile: base + ".ready")
            }
            return wire
        }
        return LabState(name: lab, topologyFile: topologyFile, hosts: hosts, wires: wires, mlink: nil)
    }

    /// Removes a directory tree, echoing it.
    func removeDirectory(_ path: String) throws(LabError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        system.note("rm -rf \(path)")
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw .file(operation: "removing", path: path, reason: "\(error)")
        }
    }

    /// Creates a directory with exactly `mode` (chmod, because umask narrows what mkdir sets).
    ///
    /// With `exclusive` an existing directory is an error (EEXIST): that is how `up` claims a lab name atomically.
    func makeDirectory(_ path: String, mode: Int, exclusive: Bool) throws(LabError) {
        if !exclusive && FileManager.default.fileExists(atPath: path) { return }
        system.note("mkdir -m \(String(mode, radix: 8)) \(path)")
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        } catch {
            throw .file(operation: "creating", path: path, reason: "\(error.localizedDescription)")
        }
    }
}

/// Undo actions recorded while `up` builds a lab, run newest first when a later step fails.
struct Rollback {
    private var actions: [() -> Void] = []

    mutating func push(_ action: @escaping () -> Void) { actions.append(action) }

    /// Runs every action, newest first; actions swallow their own errors (the first error is the one reported).
    func run() {
        for action in actions.reversed() { action() }
    }
}
