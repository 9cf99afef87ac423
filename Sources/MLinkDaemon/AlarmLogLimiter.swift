/// Rate limit of the PATH_SILENT log line: under burst loss a path's data stops and resumes about once a second,
/// and every stop is an alarm. The first alarm of a second is logged as it happens; the ones after it within
/// `interval` are held back and counted, and one line reports their number once the interval has passed.
struct AlarmLogLimiter {
    var interval = SummaryInterval(1_000_000_000)
    private var logged = false
    private(set) var held = 0
    /// The newest alarm held back (its text, for the summary line).
    private var newest = ""

    /// True when the alarm whose line is `text` should be logged now; otherwise it is counted.
    mutating func admit(_ text: String, now: UInt64) -> Bool {
        if !logged || (held == 0 && interval.isDue(now: now)) {
            logged = true
            interval.restart(now: now)
            return true
        }
        held += 1
        newest = text
        return false
    }

    /// The summary line of the alarms held back, once `interval` has passed since the last line (nil otherwise).
    mutating func summary(now: UInt64) -> String? {
        guard held > 0, interval.isDue(now: now) else { return nil }
        let seconds = interval.elapsedSeconds(now: now)
        let line = "\(held) more PATH_SILENT sent in the last \(seconds) s, not logged one by one (the newest: \(newest))"
        held = 0
        newest = ""
        interval.restart(now: now)
        return line
    }
}
