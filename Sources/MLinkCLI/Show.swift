import ArgumentParser
import Foundation
import MLinkDaemon
import MLinkSystem

extension MLinkCommand {
    /// `mlink show [NAME] [--json]`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show interfaces, peers and connections.",
            discussion: "Without NAME, every interface mlink runs. --json prints the same as JSON.")

        @Argument(help: "Interface name, profile name or path; omit for all.",
                  completion: .shellCommand(MLinkCommand.runningInterfacesCommand))
        var name: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let runDirectory = RunDirectory(environment: environment())
            var names = runDirectory.interfaces()
            if let name {
                guard let interface = runDirectory.interface(forArgument: name) else {
                    complain("\(name) is not running")
                    throw ExitCode(ExitStatus.notRunning)
                }
                names = [interface]
            }
            var documents: [[String: Any]] = []
            for interface in names {
                guard let document = query(runDirectory.socketPath(interface)) else {
                    complain("\(interface): the forwarding core does not answer")
                    continue
                }
                documents.append(document)
            }
            if json {
                let value: Any = name != nil ? (documents.first ?? [:]) : documents
                let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(documents.map(StatusText.render).joined(separator: "\n"), terminator: "")
            }
            if name != nil && documents.isEmpty { throw ExitCode(ExitStatus.notRunning) }
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
