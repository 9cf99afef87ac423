import ArgumentParser
import Glibc
import MLinkConfig
import MLinkDaemon
import MLinkNetlink
import MLinkSystem

/// Writes `mlink: <message>` on stderr.
func complain(_ message: String) {
    let line = "mlink: \(message)\n"
    _ = line.withCString { fputs($0, stderr) }
}

/// Writes a line on stderr without prefix (the `[#]` echo of side effects).
func echo(_ line: String) {
    _ = (line + "\n").withCString { fputs($0, stderr) }
}

/// Maps an error to its message and documented exit code.
func reportFailure(_ error: Error) -> ExitCode {
    switch error {
    case let e as ProfileError:
        _ = (e.description + "\n").withCString { fputs($0, stderr) }
        return ExitCode(ExitStatus.badProfile)
    case let e as SetupError:
        complain(e.description)
        if case .notRunning = e { return ExitCode(ExitStatus.notRunning) }
        return ExitCode(ExitStatus.systemError)
    default:
        complain("\(error)")
        return ExitCode(ExitStatus.systemError)
    }
}

/// Loads a profile from an `up`/`check` argument, warning when the private key is readable by others.
func loadProfile(_ argument: String) throws -> Profile {
    let path = ProfileLoader.resolve(argument: argument, environment: environment())
    let profile = try ProfileLoader.load(path: path)
    if profile.privateKeyExposed {
        complain("warning: \(path) holds a private key and is readable by others (chmod 600)")
    }
    return profile
}

/// The process environment as a dictionary.
func environment() -> [String: String] {
    var result: [String: String] = [:]
    var cursor = environ
    while let entry = cursor.pointee {
        let text = String(cString: entry)
        if let eq = text.firstIndex(of: "=") {
            result[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        cursor += 1
    }
    return result
}

/// Refuses to go on without root (exit 77).
func requireRoot() throws {
    guard ProcessControl.isRoot else {
        complain("this command needs root (CAP_NET_ADMIN)")
        throw ExitCode(ExitStatus.needsRoot)
    }
}
