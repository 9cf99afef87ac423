import CMLinkShims
import Glibc

/// A one-shot timer on the monotonic clock delivered as a readable descriptor, so that an event loop waits
/// for it with everything else in one `epoll_wait`.
///
/// Times are absolute `MonotonicClock` nanoseconds: a loop that computes "the next frame is due at T" arms T
/// directly and never accumulates the error of relative timeouts.
public final class TimerDescriptor {
    /// The timerfd; closed when this object goes away.
    public let descriptor: FileDescriptor

    /// A disarmed, non-blocking timer. The corresponding C function is `timerfd_create(CLOCK_MONOTONIC)`.
    public init() throws {
        let fd = mlink_timer_open()
        guard fd >= 0 else { throw SystemError("timerfd_create", errno: -fd) }
        descriptor = FileDescriptor(owning: fd)
    }

    /// Fires once at `monotonicNanoseconds` (a time already passed fires at once); 0 disarms.
    /// The corresponding C function is `timerfd_settime(TFD_TIMER_ABSTIME)`.
    public func arm(at monotonicNanoseconds: UInt64) throws {
        let rc = mlink_timer_arm(descriptor.rawValue, Int64(clamping: monotonicNanoseconds))
        guard rc == 0 else { throw SystemError("timerfd_settime", errno: -rc) }
    }

    /// Stops the timer.
    public func disarm() throws { try arm(at: 0) }

    /// Consumes the expiry, so the descriptor stops being readable; returns how many expiries there were (0
    /// when it had not fired). The corresponding C function is `read`.
    @discardableResult
    public func acknowledge() throws -> UInt64 {
        var expirations: UInt64 = 0
        let n = try withUnsafeMutableBytes(of: &expirations) { raw in
            try descriptor.read(into: raw.baseAddress!, count: raw.count)
        }
        return n == MemoryLayout<UInt64>.size ? expirations : 0
    }

    /// Sets this thread's timer slack to 1 ns, so that the kernel does not coalesce timer wake-ups by up to its
    /// default 50 us: for a loop whose timers are the product (the link emulator's delays).
    /// The corresponding C call is `prctl(PR_SET_TIMERSLACK)`.
    public static func usePreciseTimerSlack() {
        mlink_set_precise_timer_slack()
    }
}
