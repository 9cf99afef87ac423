import Glibc
import MLinkConfig
import MLinkNetlink
import MLinkSystem
import MLinkTypes

/// `up`, `down` and the core's own start: the process choreography around the forwarding core.
///
/// `up` configures the interface, then starts the core as a detached child (`mlink _core`) that inherits the TUN
/// descriptor and reports on a pipe once it listens; `up` returns only then. `--foreground` runs the core in the
/// same process instead (systemd). Whoever ends the core removes the run-directory state.
public enum Lifecycle {
    /// Hidden subcommand the detached core runs as.
    public static let coreSubcommand = "_core"

    /// Brings `profile` up. Returns when the core is ready (background) or after it stopped (foreground).
    public static func up(_ profile: Profile, foreground: Bool, runDirectory: RunDirectory, echo: @escaping (String) -> Void) throws {
        let name = profile.interface.name
        if let existing = runDirectory.load(name) {
            if existing.pid > 0, ProcessControl.isAlive(existing.pid) { throw SetupError.alreadyRunning(name) }
            sweepSourceRouting(existing, echo: echo)  // left by a core that crashed
        }
        try Files.makeDirectory(runDirectory.path)
        let setup = try InterfaceSetup(echo: echo)
        var (tun, state) = try setup.bringUp(profile)
        if profile.routing.enabled {
            state.routingTableBase = profile.routing.tableBase
            state.routingRulePriority = profile.routing.rulePriority
            state.routingProtocol = profile.routing.routeProtocol
        }
        do {
            if foreground {
                state.pid = ProcessControl.currentPID
                try runDirectory.save(state)
                setup.commit()
                defer { runDirectory.remove(name) }
                let log = Logger(prefix: "mlink[\(name)]")
                let core = try ForwardingCore(profile: profile, tun: tun, controlPath: runDirectory.socketPath(name), log: log)
                try core.runEventLoop { ServiceNotifier.notify("READY=1\nSTATUS=forwarding") }
                ServiceNotifier.notify("STOPPING=1")
                return
            }
            try runDirectory.save(state)
            let (readyRead, readyWrite) = try ProcessControl.makePipe()
            let arguments = [coreSubcommand, "--profile", profile.path, "--interface", name,
                             "--tun-fd", String(tun.descriptor.rawValue), "--ready-fd", String(readyWrite.rawValue)]
            let pid = try ProcessControl.spawnDetached(path: ProcessControl.executablePath(), arguments: arguments,
                                                       inherit: [tun.descriptor.rawValue, readyWrite.rawValue],
                                                       logPath: runDirectory.logPath(name))
            readyWrite.close()
            let answer = String(decoding: try readyRead.readAll(limit: 4096), as: UTF8.self)
            guard answer.hasPrefix("ready") else {
                ProcessControl.signal(pid, SIGKILL)
                _ = waitForExit(pid, milliseconds: 2000)
                let why = answer.isEmpty ? "it exited before reporting (see \(runDirectory.logPath(name)))" : String(answer.split(separator: "\n").first ?? "")
                throw SetupError.coreFailed(why)
            }
            state.pid = pid
            try runDirectory.save(state)
            setup.commit()
            echo("[#] mlink core running as pid \(pid) (log: \(runDirectory.logPath(name)))")
            // What the core installed before it reported ready (per-link source routing).
            for line in answer.split(separator: "\n").dropFirst() where line.hasPrefix("[#] ") { echo(String(line)) }
        } catch {
            setup.rollBack()
            sweepSourceRouting(state, echo: echo)
            runDirectory.remove(name)
            throw error
        }
    }

    /// Removes the per-link tables and rules a core of `state` may have left (none when it stopped cleanly).
    static func sweepSourceRouting(_ state: InterfaceState, echo: (String) -> Void) {
        guard let base = state.routingTableBase, let priority = state.routingRulePriority,
              let netlink = try? RouteNetlink() else { return }
        let settings = Profile.RoutingSettings(tableBase: base, rulePriority: priority,
                                               routeProtocol: state.routingProtocol ?? RouteProtocol.mlink)
        SourceRouting.sweep(settings, netlink: netlink, echo: echo)
    }

    /// The detached core's entry: adopts the TUN descriptor, reports readiness on `readyFD`, runs until stopped.
    public static func runCore(profilePath: String, interface: String, tunFD: Int32, readyFD: Int32, runDirectory: RunDirectory) -> Int32 {
        let ready = FileDescriptor(owning: readyFD)
        try? ready.setCloseOnExec(true)
        let log = Logger(prefix: "mlink[\(interface)]")
        do {
            let profile = try ProfileLoader.load(path: profilePath)
            let tun = try TunDevice(adopting: tunFD, name: interface)
            let core = try ForwardingCore(profile: profile, tun: tun, controlPath: runDirectory.socketPath(interface), log: log)
            try core.runEventLoop {
                // The readiness report, then what the core installed so far for `up` to echo (bounded: the
                // pipe is read up to 4 KiB).
                let done = core.sourceRouting.installedCommands.prefix(30)
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

    /// Stops the core of `argument` (interface, profile name or path) and removes what `up` created.
    public static func down(_ argument: String, runDirectory: RunDirectory, echo: (String) -> Void) throws {
        guard let name = runDirectory.interface(forArgument: argument), let state = runDirectory.load(name) else {
            throw SetupError.notRunning(argument)
        }
        if state.pid > 0 && ProcessControl.isAlive(state.pid) {
            echo("[#] stop mlink core pid \(state.pid)")
            if let socket = try? UnixSocket.connect(path: runDirectory.socketPath(name)) {
                try? socket.writeAll(Array("stop\n".utf8))
                _ = try? socket.readAll(limit: 64)
            } else {
                ProcessControl.signal(state.pid, SIGTERM)
            }
            if !waitForExit(state.pid, milliseconds: 5000) {
                ProcessControl.signal(state.pid, SIGTERM)
                if !waitForExit(state.pid, milliseconds: 2000) {
                    ProcessControl.signal(state.pid, SIGKILL)
                    _ = waitForExit(state.pid, milliseconds: 2000)
                }
            }
        }
        sweepSourceRouting(state, echo: echo)
        let netlink = try RouteNetlink()
        for rule in state.rules {
            if let source = IPNetwork(rule.source) {
                echo("[#] ip rule del from \(rule.source) table \(rule.table)")
                try? netlink.deleteRule(Rule(source: source, table: rule.table, priority: rule.priority))
            }
        }
        for route in state.routes where route.table != 254 {
            if let destination = IPNetwork(route.destination) {
                echo("[#] ip route del \(route.destination) table \(route.table)")
                try? netlink.deleteRoute(Route(destination: destination, table: route.table))
            }
        }
        if let link = try netlink.link(named: name) {
            echo("[#] ip link delete dev \(name)")
            try netlink.deleteLink(index: link.index)
        }
        runDirectory.remove(name)
    }

    /// Polls until `pid` is gone (reaping it if it is our child).
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
