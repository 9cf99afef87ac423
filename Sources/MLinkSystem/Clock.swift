import Glibc

/// Monotonic time in nanoseconds, the only clock the daemon hands to the protocol core.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary start. The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        _ = try? Syscall.retrying("clock_gettime") { clock_gettime(CLOCK_MONOTONIC, &ts) }  // cannot fail for this clock
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// Wall-clock time, for "latest handshake" style reports.
public enum WallClock {
    /// Seconds since the Unix epoch. The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
    public static func now() -> Double {
        let ts = realtime()
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Whole seconds since the Unix epoch (what C's `time(nil)` gives).
    public static var seconds: Int64 { Int64(realtime().tv_sec) }

    private static func realtime() -> timespec {
        var ts = timespec()
        _ = try? Syscall.retrying("clock_gettime") { clock_gettime(CLOCK_REALTIME, &ts) }  // cannot fail for this clock
        return ts
    }
}
