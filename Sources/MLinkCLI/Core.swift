import ArgumentParser
import MLinkSetup

extension MLinkCommand {
    /// The detached forwarding core that `up` starts; not for direct use.
    struct Core: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: CoreLauncher.coreSubcommand, shouldDisplay: false)

        @Option var profile: String
        @Option var interface: String
        @Option(name: .customLong("tun-fd")) var tunFD: Int32
        @Option(name: .customLong("ready-fd")) var readyFD: Int32

        func run() throws {
            let status = CoreLauncher.runDetached(profilePath: profile, interface: interface, tunFD: tunFD,
                                                  readyFD: readyFD, runDirectory: RunDirectory(environment: environment()))
            if status != 0 { throw ExitCode(status) }
        }
    }
}
