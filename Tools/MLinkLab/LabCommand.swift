import ArgumentParser
import Foundation
import MLinkSystem

/// `mlink-lab`: builds mlink test networks in network namespaces and impairs their wires.
///
/// Test tooling, not installed with the package. Each subcommand lives in its own file; this one holds what
/// they share: the `--lab` option, the root check and the error-to-exit-status mapping.
public struct LabCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mlink-lab",
        abstract: "Build mlink test networks in network namespaces and impair their wires.",
        discussion: """
            A topology (see examples/lab/seed.yaml) names the hosts, which one is the router, and the nets: \
            each net is a veth pair joining exactly two hosts, or, with an `emulate:` mapping, two veth pairs \
            meeting in the namespace LAB-wire where a relay process delays, jitters, drops and rate-limits \
            (`mlink-lab set`). Host HOST of lab LAB is the network namespace \
            LAB-HOST; keys, profiles and state live in /run/mlink-lab/LAB/ (root overridable with MLINK_LAB_DIR). \
            mlink is MLINK_BIN, else the mlink next to mlink-lab, else the one on PATH.

            Exit status: 0 ok, 64 usage, 69 lab not running or mlink not found, 71 system error, \
            73 lab or namespace already exists, 77 not root, 78 bad topology, scenario or time script.
            """,
        subcommands: [UpCommand.self, DownCommand.self, ExecCommand.self, CutCommand.self, RestoreCommand.self,
                      LossCommand.self, SetCommand.self, BenchCommand.self, StatusCommand.self, RelayCommand.self,
                      FloodCommand.self])

    public init() {}
}

/// `--lab LAB`, for the commands that act on one lab; omitted, the only running lab.
struct LabOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The lab (default: the only running lab).", valueName: "LAB"))
    var lab: String?
}

/// Runs a subcommand body, printing a `LabError` as `mlink-lab: <what failed>: <why>` and exiting with its code.
func reportingErrors(needsRoot: Bool, _ body: () throws(LabError) -> Void) throws {
    do throws(LabError) {
        if needsRoot && !ProcessControl.isRoot { throw .needsRoot }
        try body()
    } catch {
        FileHandle.standardError.write(Data("mlink-lab: \(error)\n".utf8))
        throw ExitCode(error.exitCode)
    }
}
