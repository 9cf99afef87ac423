import ArgumentParser
import Foundation

/// `mlink-lab down [LAB]`.
struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop mlink on every host and delete the lab's namespaces and files.",
        discussion: "Works from the lab's saved state; running it again, or on a lab that is gone, is not an error.")

    @Argument(help: ArgumentHelp("The lab (default: the only running lab).", valueName: "LAB"))
    var lab: String?

    func run() throws {
        try reportingErrors(needsRoot: true) { () throws(LabError) in
            let live = Lab.live()
            if lab == nil && live.paths.runningLabs().isEmpty {
                FileHandle.standardError.write(Data("mlink-lab: no lab is running\n".utf8))
                return
            }
            let name = try live.paths.resolve(lab)
            Interruption.catchSignals()
            if !(try live.down(name)) {
                FileHandle.standardError.write(Data("mlink-lab: lab '\(name)' is not running\n".utf8))
            }
        }
    }
}
