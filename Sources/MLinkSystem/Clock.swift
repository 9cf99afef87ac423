import Glibc

/// Monotonic time in nanoseconds, the only clock the daemon hands to the protocol core.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary start. The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// Wall-clock time, for "latest handshake" style reports.
public enum WallClock {
    /// Seconds since the Unix epoch.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
