import MLinkConfig
import MLinkSystem

/// `mlink down`: stops the core of an interface and removes what `up` created, from the state file alone, so it
/// works after the profile changed and after the core was killed (SIGKILL leaves the state file, the socket,
/// the log and the per-link source routing; the TUN device goes with the core's descriptor).
public enum Teardown {
    /// One thing `down` does once the core is gone, in order.
    public enum Action: Equatable, Sendable {
        /// Remove the per-link tables and rules the core may have left.
        case sweepSourceRouting(Profile.RoutingSettings)
        /// Undo one set-up step.
        case undo(SetupStep)
        /// Remove the state file, socket and log.
        case removeRunFiles
    }

    /// What `down` does for `state` after its core stopped (or was found dead), given which links exist now:
    /// pure, so the order and a killed core's leftovers are tested without root.
    public static func actions(for state: InterfaceState, linkExists: (String) -> Bool) -> [Action] {
        var actions: [Action] = []
        if let settings = state.sourceRouting { actions.append(.sweepSourceRouting(settings)) }
        for step in SetupStep.undo(state.steps) {
            // A device that is gone (it ends with the core's descriptor) took its addresses and routes along.
            if case .deleteLink(let name) = step, !linkExists(name) { continue }
            actions.append(.undo(step))
        }
        actions.append(.removeRunFiles)
        return actions
    }

    /// Stops the core of `argument` (interface, profile name or path) and removes what `up` created. A failing
    /// undo step is thrown at once and the state stays, so `down` can be run again.
    public static func down(_ argument: String, runDirectory: RunDirectory, system: SetupSystem,
                            echo: (String) -> Void) throws {
        guard let name = runDirectory.interface(forArgument: argument), let state = try runDirectory.load(name) else {
            throw SetupError.notRunning(argument)
        }
        if state.pid > 0 && ProcessControl.isAlive(state.pid) {
            echo("[#] stop mlink core pid \(state.pid)")
            CoreLauncher.stop(state.pid, socketPath: runDirectory.socketPath(name))
        }
        for action in actions(for: state, linkExists: { (try? system.linkExists($0)) ?? true }) {
            switch action {
            case .sweepSourceRouting(let settings):
                system.sweepSourceRouting(settings, echo: echo)
            case .undo(let step):
                echo("[#] \(step.ipCommand)")
                try step.apply(on: system)
            case .removeRunFiles:
                runDirectory.remove(name)
            }
        }
    }

    /// Removes the per-link tables and rules a core of `state` may have left (none when it stopped cleanly).
    static func sweepSourceRouting(_ state: InterfaceState, system: SetupSystem, echo: (String) -> Void) {
        if let settings = state.sourceRouting { system.sweepSourceRouting(settings, echo: echo) }
    }
}
