import ArgumentParser
import MLinkControl
import MLinkDaemon
import MLinkSetup
import MLinkSystem

extension MLinkCommand {
    /// `mlink show [NAME] [--json] [--watch [--interval SECONDS]]`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show interfaces, peers and connections.",
            discussion: """
                Without NAME, every interface mlink runs. --json prints the same as JSON. --watch redraws the \
                status in place every --interval seconds, like top, until interrupted (Ctrl-C); with --json it \
                prints one compact JSON document per line instead. The private key is never shown.
                """)

        @Argument(help: "Interface name, profile name or path; omit for all.",
                  completion: .shellCommand(MLinkCommand.runningInterfacesCommand))
        var name: String?

        @Flag(help: "Print JSON.")
        var json = false

        @Flag(help: "Refresh in place until interrupted.")
        var watch = false

        @Option(help: ArgumentHelp("Seconds between refreshes with --watch (0.1 to 3600).", valueName: "SECONDS"))
        var interval: Double = 1

        func validate() throws {
            guard interval >= 0.1 && interval <= 3600 else {
                throw ValidationError("--interval must be between 0.1 and 3600 seconds")
            }
        }

        func run() throws {
            let runDirectory = RunDirectory(environment: environment())
            if watch {
                try runWatchLoop(runDirectory)
                return
            }
            let (reports, problems) = collect(runDirectory)
            problems.forEach(complain)
            if json {
                print(jsonText(reports, pretty: true))
            } else {
                print(reports.map { StatusText.render($0, wallNow: WallClock.now()) }.joined(separator: "\n"), terminator: "")
            }
            if name != nil && reports.isEmpty { throw ExitCode(ExitStatus.notRunning) }
        }

        /// The JSON of `show --json`: one report for NAME (`{}` when it is not running), else an array of them.
        func jsonText(_ reports: [StatusReport], pretty: Bool) -> String {
            guard name != nil else { return String(decoding: StatusReport.json(reports, pretty: pretty), as: UTF8.self) }
            guard let report = reports.first else { return "{}" }
            return String(decoding: StatusReport.json(report, pretty: pretty), as: UTF8.self)
        }

        /// The status reports of the interfaces asked for, and what went wrong on the way.
        func collect(_ runDirectory: RunDirectory) -> (reports: [StatusReport], problems: [String]) {
            var names = runDirectory.interfaces()
            if let name {
                guard let interface = runDirectory.interface(forArgument: name) else {
                    return ([], ["\(name) is not running"])
                }
                names = [interface]
            }
            var reports: [StatusReport] = []
            var problems: [String] = []
            for interface in names {
                do {
                    reports.append(try query(runDirectory.socketPath(interface)))
                } catch {
                    problems.append("\(interface): no status from the forwarding core: \(error)")
                }
            }
            return (reports, problems)
        }

        /// Redraws until SIGINT, SIGTERM or SIGHUP; exits 0 after restoring a clean line.
        ///
        /// Drawing homes the cursor, overwrites each line and clears what the previous, longer frame left below,
        /// so the screen does not flicker the way a full clear does.
        func runWatchLoop(_ runDirectory: RunDirectory) throws {
            let signals = try SignalDescriptor(resettingIgnored: true)  // also ignores SIGPIPE: writes report EPIPE
            let interactive = !json
            if interactive { StandardOutput.write("\u{1B}[?25l\u{1B}[H\u{1B}[2J") }  // hide the cursor, clear once
            defer { if interactive { StandardOutput.write("\u{1B}[?25h\n") } }
            while true {
                let (reports, problems) = collect(runDirectory)
                if json {
                    guard StandardOutput.write(jsonText(reports, pretty: false) + "\n") else { return }  // the reader left
                } else {
                    var frame = "mlink show, every \(interval) s (Ctrl-C to quit), \(WallClock.localTimeOfDay())\n\n"
                    frame += problems.map { "mlink: \($0)\n" }.joined()
                    frame += reports.isEmpty && problems.isEmpty ? "no interface is running\n" : ""
                    frame += reports.map { StatusText.render($0, wallNow: WallClock.now()) }.joined(separator: "\n")
                    let lines = frame.split(separator: "\n", omittingEmptySubsequences: false)
                    guard StandardOutput.write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J") else {
                        return  // the reader left
                    }
                }
                if signals.wait(timeoutMilliseconds: Int32(interval * 1000)) != nil { return }
            }
        }

        /// Asks the core at `socketPath` for its status report.
        func query(_ socketPath: String) throws -> StatusReport {
            try StatusReport(json: UnixSocket.exchange(path: socketPath, request: ControlRequest.show.wireLine))
        }
    }
}
