import ArgumentParser

/// `mlink-lab restore NET [--lab LAB]`.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Undo a cut and any loss on a net.")

    @Argument(help: "The net, as named in the topology.")
    var net: String

    @OptionGroup var options: LabOption

    func run() throws {
        try reportingErrors(needsRoot: true) { () throws(LabError) in
            let lab = Lab.live()
            try lab.impair(lab: try lab.paths.resolve(options.lab), net: net) { $0 = Wire.Impairment() }
        }
    }
}
