import ArgumentParser

/// `mlink-lab status [LAB]`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a lab's hosts and nets, with cuts and loss (default: every running lab).")

    @Argument(help: ArgumentHelp("The lab.", valueName: "LAB"))
    var lab: String?

    func run() throws {
        try reportingErrors(needsRoot: false) { () throws(LabError) in
            let live = Lab.live()
            let names = lab.map { [$0] } ?? live.paths.runningLabs()
            if names.isEmpty { print("no lab is running") }
            for (index, name) in names.enumerated() {
                if index > 0 { print("") }
                print(try live.status(name))
            }
        }
    }
}
