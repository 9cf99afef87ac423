import ArgumentParser
import Foundation

/// `mlink-lab cut NET [--for SECONDS] [--lab LAB]`.
struct CutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cut",
        abstract: "Make every packet on a net vanish, both directions; the interfaces stay up.",
        discussion: "With --for, waits and restores the net (also on SIGINT or SIGTERM); loss settings stay.")

    @Argument(help: "The net, as named in the topology.")
    var net: String

    @Option(name: .customLong("for"), help: ArgumentHelp("Restore after this many seconds (blocks).", valueName: "SECONDS"))
    var duration: Double?

    @OptionGroup var options: LabOption

    func validate() throws {
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("--for needs a positive number of seconds") }
    }

    func run() throws {
        try reportingErrors(needsRoot: true) { () throws(LabError) in
            let lab = Lab.live()
            let name = try lab.paths.resolve(options.lab)
            guard let duration else {
                try lab.impair(lab: name, net: net) { $0.isCut = true }
                return
            }
            if !(try lab.cut(lab: name, net: net, forSeconds: duration)) {
                FileHandle.standardError.write(Data("mlink-lab: cut \(net): interrupted, restored early\n".utf8))
            }
        }
    }
}
