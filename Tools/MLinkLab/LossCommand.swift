import ArgumentParser

/// `mlink-lab loss NET PERCENT [--lab LAB]`.
struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "Drop PERCENT% of the packets on a net at random, each direction independently; 0 removes it.")

    @Argument(help: "The net, as named in the topology.")
    var net: String

    @Argument(help: ArgumentHelp("0...100, in steps of 0.01.", valueName: "PERCENT"))
    var percent: String

    @OptionGroup var options: LabOption

    func run() throws {
        try reportingErrors(needsRoot: true) { () throws(LabError) in
            let text = percent.hasSuffix("%") ? String(percent.dropLast()) : percent
            guard let value = Double(text), value >= 0, value <= 100 else { throw .badPercent(percent) }
            let lab = Lab.live()
            try lab.impair(lab: try lab.paths.resolve(options.lab), net: net) { $0.lossPercent = value }
        }
    }
}
