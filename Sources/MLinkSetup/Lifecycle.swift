import MLinkNetlink
import MLinkConfig
import MLinkSystem

/// `mlink up`: the choreography around the forwarding core, in wg-quick's manner.
///
/// 1. Refuse a profile whose core still runs; sweep what a crashed core of it left; refuse a source-routing
///    range another interface holds (`RoutingRangeCheck`).
/// 2. Apply the `SetupPlan` (device, MTU, address, routes), echoing each step.
/// 3. Record the state, start the core (detached, or in this process with `--foreground`), record its pid.
/// A failure at any point rolls back everything done before it. Whoever ends the core removes the state.
public enum Lifecycle {
    /// Brings `profile` up. Returns when the core is ready (background) or after it stopped (foreground).
    public static func up(_ profile: Profile, foreground: Bool, runDirectory: RunDirectory,
                          echo: @escaping (String) -> Void) throws {
        let name = profile.interface.name
        let system = try NetlinkSetupSystem()
        // An unreadable state cannot name a live core; the interface check below still refuses a taken name.
        if let existing = (try? runDirectory.load(name)) ?? nil {
            if existing.pid > 0, ProcessControl.isAlive(existing.pid) { throw SetupError.alreadyRunning(name) }
            Teardown.sweepSourceRouting(existing, system: system, echo: echo)  // left by a core that crashed
        }
        try RoutingRangeCheck.refuseClash(profile.routing, interface: name, runDirectory: runDirectory,
                                          netlink: system.netlink)  // before anything is created
        try Files.makeDirectory(runDirectory.path)
        let plan = SetupPlan(profile: profile, presentLinks: (try? system.netlink.links()) ?? [])
        let setup = InterfaceSetup(system: system, echo: echo)
        try setup.apply(plan)
        var state = InterfaceState(interface: name, profileName: profile.name, profilePath: profile.path,
                                   steps: setup.applied, routing: profile.routing)
        do {
            guard let tun = system.tunDevices[name] else { throw SetupError.interfaceVanished(name) }
            if foreground {
                state.pid = ProcessControl.currentPID
                try runDirectory.save(state)
                _ = setup.commit()
                defer { runDirectory.remove(name) }
                try CoreLauncher.runForeground(profile, tun: tun, runDirectory: runDirectory)
                return
            }
            try runDirectory.save(state)
            let started = try CoreLauncher.launch(profile, tun: tun, runDirectory: runDirectory)
            state.pid = started.pid
            try runDirectory.save(state)
            _ = setup.commit()
            echo("[#] mlink core running as pid \(started.pid) (log: \(runDirectory.logPath(name)))")
            started.installed.forEach(echo)
        } catch {
            setup.rollBack()
            Teardown.sweepSourceRouting(state, system: system, echo: echo)
            runDirectory.remove(name)
            throw error
        }
    }
}
