import MLinkConfig
import MLinkDaemon
import MLinkSystem

/// Starts the forwarding core of an interface `up` configured, and stops it for `down`.
///
/// The detached core is this executable run as `mlink _core`: it inherits the TUN descriptor and the write end
/// of a pipe, and writes `ready` (then the `[#] ...` lines of what it installed) once it forwards, or its error.
/// `up` waits on the pipe, so it returns only when the core works.
public enum CoreLauncher {
    /// The hidden subcommand the detached core runs as.
    public static let coreSubcommand = "_core"
    /// How much of the readiness report `up` reads (the core sends at most 30 lines).
    static let reportLimit = 4096

    /// A started core: its pid and the `[#] ...` lines it reported with `ready`.
    public struct Started: Equatable, Sendable {
        /// The core's process id.
        public var pid: Int32
        /// What the core installed before it reported ready (per-link source routing), as `[#] ip ...` lines.
        public var installed: [String]
    }

    /// Spawns the detached core for `profile` on `tun` and waits for its report. A core that fails or exits
    /// before reporting is killed and reaped; the error carries its words.
    public static func launch(_ profile: Profile, tun: TunDevice, runDirectory: RunDirectory) throws -> Started {
        let name = profile.interface.name
        let (readyRead, readyWrite) = try ProcessControl.makePipe()
        let arguments = [coreSubcommand, "--profile", profile.path, "--interface", name,
                         "--tun-fd", String(tun.descriptor.rawValue), "--ready-fd", String(readyWrite.rawValue)]
        let pid = try ProcessControl.spawnDetached(path: ProcessControl.executablePath(), arguments: arguments,
                                                   inherit: [tun.descriptor.rawValue, readyWrite.rawValue],
                                                   logPath: runDirectory.logPath(name))
        readyWrite.close()
        let answer = String(decoding: try readyRead.readAll(limit: reportLimit), as: UTF8.self)
        guard answer.hasPrefix("ready") else {
            ProcessControl.signal(pid, ProcessSignal.kill)
            _ = waitForExit(pid, milliseconds: 2000)
            let why = answer.isEmpty ? "it exited before reporting (see \(runDirectory.logPath(name)))"
                : String(answer.split(separator: "\n").first ?? "")
            throw SetupError.coreFailed(why)
        }
        let installed = answer.split(separator: "\n").dropFirst().filter { $0.hasPrefix("[#] ") }.map(String.init)
        return Started(pid: pid, installed: installed)
    }

    /// The detached core's side: adopts the TUN descriptor, reports on `readyFD`, forwards until stopped.
    /// Returns the process's exit status (71 when the core could not start).
    public static func runDetached(profilePath: String, interface: String, tunFD: Int32, readyFD: Int32,
                                   runDirectory: RunDirectory) -> Int32 {
        let ready = FileDescriptor(owning: readyFD)
        try? ready.setCloseOnExec(true)
        let log = Logger(prefix: "mlink[\(interface)]")
        do {
            let profile = try ProfileLoader.load(path: profilePath)
            let tun = try TunDevice(adopting: tunFD, name: interface)
            let core = try ForwardingCore(profile: profile, tun: tun, controlPath: runDirectory.socketPath(interface), log: log)
            try core.runEventLoop {
                let done = core.installedRoutingCommands.prefix(30)
                try? ready.writeAll(Array((["ready"] + done).joined(separator: "\n").utf8 + [UInt8(ascii: "\n")]))
                ready.close()
            }
            return 0
        } catch {
            log.error("\(error)")
            try? ready.writeAll(Array("\(error)\n".utf8))
            return 71
        }
    }

    /// Runs the core in this process (`up --foreground`, systemd's `Type=notify`) until a stop signal.
    public static func runForeground(_ profile: Profile, tun: TunDevice, runDirectory: RunDirectory) throws {
        let name = profile.interface.name
        let log = Logger(prefix: "mlink[\(name)]")
        let core = try ForwardingCore(profile: profile, tun: tun, controlPath: runDirectory.socketPath(name), log: log)
        try core.runEventLoop { ServiceNotifier.notify("READY=1\nSTATUS=forwarding") }
        ServiceNotifier.notify("STOPPING=1")
    }

    /// Stops the core `pid`: asks on its control socket, then SIGTERM, then SIGKILL, each with a grace period.
    static func stop(_ pid: Int32, socketPath: String) {
        if let socket = try? UnixSocket.connect(path: socketPath) {
            try? socket.writeAll(Array("stop\n".utf8))
            _ = try? socket.readAll(limit: 64)
        } else {
            ProcessControl.signal(pid, ProcessSignal.terminate)
        }
        if waitForExit(pid, milliseconds: 5000) { return }
        ProcessControl.signal(pid, ProcessSignal.terminate)
        if waitForExit(pid, milliseconds: 2000) { return }
        ProcessControl.signal(pid, ProcessSignal.kill)
        _ = waitForExit(pid, milliseconds: 2000)
    }

    /// Polls until `pid` is gone (reaping it if it is our child); false after `milliseconds`.
    static func waitForExit(_ pid: Int32, milliseconds: Int) -> Bool {
        var waited = 0
        while waited < milliseconds {
            if ProcessControl.reap(pid) || !ProcessControl.isAlive(pid) { return true }
            ProcessControl.sleep(milliseconds: 20)
            waited += 20
        }
        return false
    }
}
