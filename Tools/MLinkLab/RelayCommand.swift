import ArgumentParser
import Foundation
import MLinkEmulator
import MLinkSystem

/// `mlink-lab _relay`: the link emulator process of one net (hidden; `up` starts it, `down` stops it).
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_relay", abstract: "Run the link emulator between two interfaces (started by up).",
        shouldDisplay: false)

    @Option(help: "The interface facing the net's first end.") var a: String
    @Option(help: "The interface facing the net's second end.") var b: String
    @Option(help: "The WireEmulation JSON file (re-read on SIGHUP).") var config: String
    @Option(help: "Where counters are written once a second.") var stats: String
    @Option(help: "Created (holding our pid) once the sockets are open.") var ready: String

    func run() throws {
        // Leave the session of whoever started us, so that their terminal's Ctrl-C does not stop the wire.
        ProcessControl.startNewSession()
        let relay: Relay
        do {
            relay = try Relay(a: a, b: b, configPath: config, statsPath: stats)
        } catch {
            FileHandle.standardError.write(Data("mlink-lab relay: \(error)\n".utf8))
            throw ExitCode(71)
        }
        do {
            try Files.writeAtomically(Array("\(ProcessControl.currentPID)\n".utf8), to: ready, mode: 0o644)
        } catch {
            FileHandle.standardError.write(Data("mlink-lab relay: writing \(ready): \(error)\n".utf8))
            throw ExitCode(71)
        }
        relay.runRelayLoop()
    }
}
