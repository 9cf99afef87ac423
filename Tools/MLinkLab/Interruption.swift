import MLinkSystem

/// SIGINT, SIGTERM and SIGHUP turned into a flag that long operations poll between steps, so that `up` rolls
/// back and `cut --for` restores instead of dying half-way.
///
/// The signals are blocked and read from MLinkSystem's `SignalDescriptor`; children started through
/// `ProcessControl` get them unblocked, with default dispositions, at exec.
enum Interruption {
    nonisolated(unsafe) private static var signals: SignalDescriptor?
    nonisolated(unsafe) private static var arrived = false

    /// Catches the signals from now on (idempotent). The corresponding C calls are `sigprocmask` and `signalfd`.
    static func catchSignals() {
        guard signals == nil else { return }
        do {
            signals = try SignalDescriptor()
        } catch {
            // Without the descriptor a signal keeps its default action: the command stops where it is.
        }
    }

    /// True once a signal arrived (it stays true).
    static var isPending: Bool {
        if !arrived, signals?.next() != nil { arrived = true }
        return arrived
    }

    /// Throws `LabError.interrupted` once a signal arrived.
    static func check() throws(LabError) {
        if isPending { throw .interrupted }
    }

    /// Sleeps `seconds`, waking early on a signal; true when the whole time passed.
    static func sleep(seconds: Double) -> Bool {
        let end = MonotonicClock.now() + UInt64(max(0, seconds) * 1e9)
        while !isPending {
            let now = MonotonicClock.now()
            guard now < end else { return true }
            let milliseconds = Int32(min(100, (end - now + 999_999) / 1_000_000))
            if let signals {
                if signals.wait(timeoutMilliseconds: milliseconds) != nil { arrived = true }
            } else {
                ProcessControl.sleep(milliseconds: Int(milliseconds))
            }
        }
        return false
    }
}
