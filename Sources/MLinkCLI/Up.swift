import ArgumentParser
import MLinkSetup

extension MLinkCommand {
    /// `mlink up PROFILE`.
    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the interface and start the forwarding core.",
            discussion: """
                Creates the TUN device, sets its MTU and address, installs the routes of the virtual network \
                (each echoed as `[#] ...`), then starts the forwarding core in the background and returns once it \
                is ready. On any failure everything created so far is removed again.
                """)

        @Argument(help: "Profile name (/etc/mlink/NAME.yaml) or path to a .yaml file.",
                  completion: .shellCommand(MLinkCommand.profileNamesCommand))
        var profile: String

        @Flag(help: "Run the forwarding core in this process (for systemd); stop with SIGTERM.")
        var foreground = false

        func run() throws {
            do {
                let loaded = try loadProfile(profile)
                try requireRoot()
                try Lifecycle.up(loaded, foreground: foreground, runDirectory: RunDirectory(environment: environment()), echo: echo)
            } catch let e as ExitCode {
                throw e
            } catch {
                throw reportFailure(error)
            }
        }
    }
}
