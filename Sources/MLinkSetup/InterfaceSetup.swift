/// The wg-quick half of `mlink up`: applies a `SetupPlan` step by step, echoing each as `[#] ip ...` before it
/// runs, and undoes everything applied so far when a step fails (or when the caller rolls back later, e.g.
/// because the core did not start).
public final class InterfaceSetup {
    private let system: SetupSystem
    private let echo: (String) -> Void
    /// The steps applied and not yet committed or rolled back, oldest first.
    public private(set) var applied: [SetupStep] = []

    /// A set-up that makes its changes through `system` and reports each on `echo`.
    public init(system: SetupSystem, echo: @escaping (String) -> Void) {
        self.system = system
        self.echo = echo
    }

    /// Applies `plan`. Refuses an interface that exists already (touching nothing); on any failure undoes what
    /// it applied and throws the failure.
    public func apply(_ plan: SetupPlan) throws {
        guard try !system.linkExists(plan.interface) else { throw SetupError.interfaceExists(plan.interface) }
        do {
            for step in plan.steps {
                echo("[#] \(step.ipCommand)")
                try step.apply(on: system)
                applied.append(step)
            }
        } catch {
            rollBack()
            throw error
        }
    }

    /// Undoes every applied step, newest first (see `SetupStep.undo`), echoing each; a failing undo step is
    /// reported and skipped, so the rest still runs.
    public func rollBack() {
        for step in SetupStep.undo(applied) {
            echo("[#] \(step.ipCommand)")
            do { try step.apply(on: system) } catch { echo("mlink: rollback: \(step.ipCommand): \(error)") }
        }
        applied.removeAll()
    }

    /// Hands the applied steps over (to the state file, for `down`); nothing is rolled back after this.
    public func commit() -> [SetupStep] {
        defer { applied.removeAll() }
        return applied
    }
}
