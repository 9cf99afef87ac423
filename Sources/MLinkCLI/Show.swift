import ArgumentParser
import Foundation
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
            let (documents, problems) = collect(runDirectory)
            problems.forEach(complain)
            if json {
                let value: Any = name != nil ? (documents.first ?? [:]) : documents
                let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(documents.map { StatusText.render($0) }.joined(separator: "\n"), terminator: "")
            }
            if name != nil && documents.isEmpty { throw ExitCode(ExitStatus.notRunning) }
        }

        /// The status documents of the interfaces asked for, and what went wrong on the way.
        func collect(_ runDirectory: RunDirectory) -> (documents: [[String: Any]], problems: [String]) {
            var names = runDirectory.interfaces()
            if let name {
                guard let interface = runDirectory.interface(forArgument: name) else {
                    return ([], ["\(name) is not running"])
                }
                names = [interface]
            }
            var documents: [[String: Any]] = []
            var problems: [String] = []
            for interface in names {
                guard let document = query(runDirectory.socketPath(interface)) else {
                    problems.append("\(interface): the forwarding core does not answer")
                    continue
                }
                documents.append(document)
            }
            return (documents, problems)
        }

        /// Redraws until SIGINT, SIGTERM or SIGHUP; exits 0 after restoring a clean line.
        ///
        /// Drawing homes the cursor, overwrites each line and clears what the previous, longer frame left below,
        /// so the screen does not flicker the way a full clear does.
        func runWatchLoop(_ runDirectory: RunDirectory) throws {
            let signals = try SignalDescriptor(resettingIgnored: true)
            let interactive = !json
            let clock = DateFormatter()
            clock.dateFormat = "HH:mm:ss"
            if interactive { write("\u{1B}[?25l\u{1B}[H\u{1B}[2J") }  // hide the cursor, clear once
            defer { if interactive { write("\u{1B}[?25h\n") } }
            while true {
                let (documents, problems) = collect(runDirectory)
                if json {
                    let value: Any = name != nil ? (documents.first ?? [:]) : documents
                    if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]),
                       !write(String(decoding: data, as: UTF8.self) + "\n") { return }  // the reader left
                } else {
                    let stamp = clock.string(from: Date())
                    var frame = "mlink show, every \(interval) s (Ctrl-C to quit), \(stamp)\n\n"
                    frame += problems.map { "mlink: \($0)\n" }.joined()
                    frame += documents.isEmpty && problems.isEmpty ? "no interface is running\n" : ""
                    frame += documents.map { StatusText.render($0) }.joined(separator: "\n")
                    let lines = frame.split(separator: "\n", omittingEmptySubsequences: false)
                    guard write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J") else {
                        return  // the reader left
                    }
                }
                if signals.wait(timeoutMilliseconds: Int32(interval * 1000)) != nil { return }
            }
        }

        /// Writes to standard output; false when the reader went away (`show --watch | head`).
        @discardableResult
        private func write(_ text: String) -> Bool {
            (try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))) != nil
        }

        func query(_ socketPath: String) -> [String: Any]? {
            guard let socket = try? UnixSocket.connect(path: socketPath) else { return nil }
            try? socket.writeAll(Array("show\n".utf8))
            UnixSocket.shutdownWrite(socket)
            guard let bytes = try? socket.readAll(),
                  let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
            return object
        }
    }
}
