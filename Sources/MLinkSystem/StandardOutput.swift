import Glibc

/// Standard output without buffering, for programs that redraw (`show --watch`).
public enum StandardOutput {
    /// Writes all of `text`; false when the reader went away (EPIPE, with SIGPIPE ignored) or another error
    /// ended the write. The corresponding C function is `write`.
    @discardableResult
    public static func write(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                retryingInterrupts { Glibc.write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset) }
            }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }
}

extension WallClock {
    /// The local time of day as `HH:MM:SS` (the time zone from TZ or /etc/localtime). The corresponding C
    /// functions are `time` and `localtime_r`.
    public static func localTimeOfDay() -> String {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "--:--:--" }
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
