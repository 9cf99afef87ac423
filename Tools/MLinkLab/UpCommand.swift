import ArgumentParser
import Foundation

/// `mlink-lab up TOPOLOGY [--name LAB] [--no-start]`.
struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Build a lab from a topology and start mlink on every host, the router first.",
        discussion: "Everything created is rolled back if a step fails. Refuses a lab that already exists.")

    @Argument(help: ArgumentHelp("The topology file.", valueName: "TOPOLOGY.yaml"))
    var topology: String

    @Option(name: .long, help: ArgumentHelp("The lab name (default: the topology file's base name).", valueName: "LAB"))
    var name: String?

    @Flag(name: .customLong("no-start"), help: "Build namespaces, wires, keys and profiles, but do not run mlink.")
    var noStart = false

    func run() throws {
        try reportingErrors(needsRoot: true) { () throws(LabError) in
            let parsed = try Topology.load(file: topology)
            let absolute = URL(fileURLWithPath: topology).standardizedFileURL.path
            Interruption.catchSignals()
            try Lab.live().up(topology: parsed, topologyFile: absolute,
                              lab: name ?? Lab.defaultName(forTopologyFile: topology), start: !noStart)
        }
    }
}
