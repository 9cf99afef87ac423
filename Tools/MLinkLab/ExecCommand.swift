import ArgumentParser
import Foundation
import MLinkSystem

/// `mlink-lab exec HOST [--lab LAB] -- CMD ARGS...`.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in a host's namespace (exec: its exit status and stdio are the command's).")

    @Argument(help: "The host, as named in the topology.")
    var host: String

    @OptionGroup var options: LabOption

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command, after --.", valueName: "CMD"))
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command after --, e.g. exec vm0 -- ping 192.168.0.3") }
    }

    func run() throws {
        try reportingErrors(needsRoot: true) { () throws(LabError) in
            let lab = Lab.live()
            let name = try lab.paths.resolve(options.lab)
            let state = try lab.paths.load(name)
            guard let entry = state.hosts.first(where: { $0.name == host }) else {
                throw .unknownHost(host, lab: name, known: state.hosts.map(\.name))
            }
            let arguments = ["ip", "netns", "exec", entry.namespace] + command
            guard let ip = findExecutable("ip") else {
                throw .command(shellQuoted(arguments), status: 127, output: "ip: command not found")
            }
            let failure = ProcessControl.replaceProcess(path: ip, arguments: Array(arguments.dropFirst()))
            throw .command(shellQuoted(arguments), status: 127, output: failure.reason)
        }
    }
}
