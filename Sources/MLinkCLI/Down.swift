import ArgumentParser
import MLinkSetup

extension MLinkCommand {
    /// `mlink down NAME`.
    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the forwarding core and remove what `up` created.",
            discussion: """
                Works from the state kept under the run directory (MLINK_RUN_DIR, default /run/mlink), so an \
                edited or deleted profile does not matter. NAME is the interface name as `show` prints it, or the \
                profile's name or path.
                """)

        @Argument(help: "Interface name, profile name or profile path.",
                  completion: .shellCommand(MLinkCommand.runningInterfacesCommand))
        var name: String

        func run() throws {
            do {
                try requireRoot()
                try Teardown.down(name, runDirectory: RunDirectory(environment: environment()), system: try NetlinkSetupSystem(),
                                  echo: echo)
            } catch let e as ExitCode {
                throw e
            } catch {
                throw reportFailure(error)
            }
        }
    }
}
