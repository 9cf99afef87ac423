#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var interruptionPending: sig_atomic_t = 0

private func noteInterruption(_ signal: Int32) { interruptionPending = 1 }

/// SIGINT and SIGTERM turned into a flag that long operations poll between steps, so that `up` rolls back
/// and `cut --for` restores instead of dying half-way. Children get default dispositions back at exec.
enum Interruption {
    /// Catches SIGINT and SIGTERM from now on. The corresponding C function is `sigaction`.
    static func catchSignals() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = noteInterruption
        sigemptyset(&action.sa_mask)
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
    }

    static var isPending: Bool { interruptionPending != 0 }

    /// Throws `LabError.interrupted` once a signal arrived.
    static func check() throws(LabError) {
        if isPending { throw .interrupted }
    }

    /// Sleeps `seconds`, waking early on a signal; true when the whole time passed.
    static func sleep(seconds: Double) -> Bool {
        var remaining = seconds
        while remaining > 0 {
            if isPending { return false }
            let step = min(remaining, 0.1)
            usleep(useconds_t(step * 1_000_000))
            remaining -= step
        }
        return !isPending
    }
}
