import Foundation
import MLinkSystem

/// How the lab changes the machine: commands (`ip`, `nft`, `mlink`) and a few probes.
///
/// Every side effect goes through here and is echoed on stderr as `[lab] COMMAND`, wg-quick style.
/// Tests substitute `RecordingSystem`, which records the commands instead of running them.
protocol LabSystem: AnyObject {
    /// Echoes and runs `arguments`; throws `LabError.command` when it cannot start or exits non-zero.
    ///
    /// With `inheritOutput` the child writes to our own stdout and stderr instead of a pipe: needed for
    /// `mlink up`, whose daemon may keep them open long after `mlink up` itself returned.
    func run(_ arguments: [String], inheritOutput: Bool) throws(LabError)
    /// True when `/run/netns/NAME` exists.
    func namespaceExists(_ name: String) -> Bool
    /// Echoes `[lab] TEXT` for a side effect that is not a command (files written, processes signalled).
    func note(_ text: String)
    /// Stops a process: SIGTERM, up to 2 s of grace, then SIGKILL. False when it was not running.
    func terminate(pid: Int32) -> Bool
    /// Echoes and starts `arguments` in the background, stdout and stderr appended to `log`, and waits up to
    /// 5 s for it to create `readyFile`. Returns its pid; a child that dies or never gets ready is an error.
    func spawnDetached(_ arguments: [String], log: String, readyFile: String) throws(LabError) -> Int32
    /// Sends `signal` to `pid`; false when it is not running.
    func signal(pid: Int32, _ signal: Int32) -> Bool
}

extension LabSystem {
    func run(_ arguments: [String]) throws(LabError) { try run(arguments, inheritOutput: false) }
}

/// Renders a command line so that it can be pasted into a shell.
func shellQuoted(_ arguments: [String]) -> String {
    arguments.map { argument in
        let plain = !argument.isEmpty && argument.allSatisfy { c in
            c.isASCII && (c.isLetter || c.isNumber || "_@%+=:,./-".contains(c))
        }
        return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}

/// Finds an executable by name on PATH, with /usr/sbin and /sbin appended (where `ip` and `nft` live).
func findExecutable(_ name: String) -> String? {
    if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    // map(String.init) matters: `split(...) + [...]` alone type-checks as arrays of Characters.
    for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// The real machine: runs commands with MLinkSystem's `ProcessControl`.
///
/// Not Foundation's `Process`: that one learns of the child's exit through a descriptor the child inherits, so
/// `mlink up`, whose daemon outlives it, would look like it never returned. `ProcessControl` passes on only
/// stdin (/dev/null) and, when capturing, one pipe for stdout and stderr; everything else is close-on-exec.
final class HostSystem: LabSystem {
    func run(_ arguments: [String], inheritOutput: Bool) throws(LabError) {
        let rendered = shellQuoted(arguments)
        echo(rendered)
        guard let executable = findExecutable(arguments[0]) else {
            throw .command(rendered, status: 127, output: "\(arguments[0]): command not found")
        }
        let result: ProcessControl.ChildResult
        do {
            result = try ProcessControl.run(path: executable, arguments: Array(arguments.dropFirst()),
                                            captureOutput: !inheritOutput)
        } catch {
            throw .command(rendered, status: 127, output: "\(error)")
        }
        guard result.status == 0 else { throw .command(rendered, status: result.status, output: result.output) }
    }

    func namespaceExists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: "/run/netns/\(name)")
    }

    func note(_ text: String) { echo(text) }

    func terminate(pid: Int32) -> Bool {
        guard pid > 1, ProcessControl.isAlive(pid) else { return false }
        echo("kill -TERM \(pid)")
        ProcessControl.signal(pid, ProcessSignal.terminate)
        for _ in 0..<20 {
            ProcessControl.sleep(milliseconds: 100)
            // Our own child (a relay the bench started) must be reaped, or it lingers as a zombie.
            if ProcessControl.exitStatusIfExited(pid) != nil || !ProcessControl.isAlive(pid) { return true }
        }
        echo("kill -KILL \(pid)")
        ProcessControl.signal(pid, ProcessSignal.kill)
        return true
    }

    func spawnDetached(_ arguments: [String], log: String, readyFile: String) throws(LabError) -> Int32 {
        let rendered = shellQuoted(arguments) + " >>\(log) 2>&1 &"
        echo(rendered)
        guard let executable = findExecutable(arguments[0]) else {
            throw .command(rendered, status: 127, output: "\(arguments[0]): command not found")
        }
        Files.remove(readyFile)
        let pid: Int32
        do {
            pid = try ProcessControl.spawnDetached(path: executable, arguments: Array(arguments.dropFirst()),
                                                   inherit: [], logPath: log)
        } catch {
            throw .command(rendered, status: 127, output: "\(error)")
        }
        for _ in 0..<500 {
            if FileManager.default.fileExists(atPath: readyFile) { return pid }
            if let status = ProcessControl.exitStatusIfExited(pid) {
                let output = (FileManager.default.contents(atPath: log)).map { String(decoding: $0, as: UTF8.self) }
                throw .command(rendered, status: status, output: output ?? "")
            }
            ProcessControl.sleep(milliseconds: 10)
        }
        _ = terminate(pid: pid)
        throw .command(rendered, status: 124, output: "not ready after 5 s (no \(readyFile))")
    }

    func signal(pid: Int32, _ signal: Int32) -> Bool {
        guard pid > 1, ProcessControl.isAlive(pid) else { return false }
        echo("kill -\(signal) \(pid)")
        ProcessControl.signal(pid, signal)
        return true
    }

    private func echo(_ text: String) {
        FileHandle.standardError.write(Data("[lab] \(text)\n".utf8))
    }
}
