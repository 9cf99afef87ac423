import ArgumentParser
import MLinkConfig
import MLinkSetup
import MLinkSystem

/// Writes `mlink: <message>` on stderr.
func complain(_ message: String) {
    let line = "mlink: \(message)\n"
    StandardError.write(line)
}

/// Writes a line on stderr without prefix (the `[#]` echo of side effects).
func echo(_ line: String) {
    StandardError.write(line + "\n")
}

/// What the user sees of a failure: the text on stderr and the documented exit status.
struct FailureReport: Equatable {
    /// The whole stderr line, without its line break: `mlink: <what failed>: <why> (<value>)`, or the profile
    /// loader's `FILE:LINE:COL: <key>: <problem>` as it is.
    var message: String
    /// The exit status (`ExitStatus`).
    var status: Int32

    /// A report from its parts.
    init(message: String, status: Int32) {
        self.message = message
        self.status = status
    }

    /// The report of `error`: a bad profile exits 78, a name that is not running 69, anything else is a system
    /// error (71).
    init(_ error: Error) {
        switch error {
        case let e as ProfileError:
            message = e.description
            status = ExitStatus.badProfile
        case SetupError.notRunning(let name):
            message = "mlink: \(SetupError.notRunning(name))"
            status = ExitStatus.notRunning
        default:
            message = "mlink: \(error)"
            status = ExitStatus.systemError
        }
    }
}

/// Writes the report of `error` on stderr and returns its exit code.
func reportFailure(_ error: Error) -> ExitCode {
    let report = FailureReport(error)
    StandardError.write(report.message + "\n")
    return ExitCode(report.status)
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
func environment() -> [String: String] { Files.environment() }

/// Refuses to go on without root (exit 77).
func requireRoot() throws {
    guard ProcessControl.isRoot else {
        complain("this command needs root (CAP_NET_ADMIN)")
        throw ExitCode(ExitStatus.needsRoot)
    }
}
