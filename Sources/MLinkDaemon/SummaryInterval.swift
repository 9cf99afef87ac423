/// The period of a summary line in the daemon's log (DropReport, AlarmLogLimiter): how long it is, when the last
/// summary went out, and whether the next one is due.
struct SummaryInterval {
    /// The period (ns).
    var length: UInt64
    /// When the last summary (or the line that starts the period) went out.
    private(set) var last: UInt64 = 0

    init(_ length: UInt64) {
        self.length = length
    }

    /// True once `length` has passed since `last`.
    func isDue(now: UInt64) -> Bool {
        now &- last >= length
    }

    /// Starts a new period at `now`.
    mutating func restart(now: UInt64) {
        last = now
    }

    /// The time since `last`, in seconds to the millisecond (for the summary line).
    func elapsedSeconds(now: UInt64) -> Double {
        Double((now &- last) / 1_000_000) / 1000
    }
}
