import CMLinkShims
import Glibc

/// A counter the kernel keeps, readable through epoll: another thread `signal()`s it to wake the event loop.
///
/// Non-blocking: `signal` never waits (the counter saturates long before 2^64), `drain` returns nil when
/// nothing was signalled since the last drain.
public final class EventDescriptor: @unchecked Sendable {
    public let descriptor: FileDescriptor

    /// The corresponding C function is `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`.
    public init() throws {
        let fd = mlink_eventfd(0)
        guard fd >= 0 else { throw SystemError("eventfd", errno: -fd) }
        descriptor = FileDescriptor(owning: fd)
    }

    /// Adds one to the counter, making the descriptor readable. Safe from any thread. The corresponding C
    /// function is `write`.
    public func signal() {
        var one: UInt64 = 1
        _ = retryingInterrupts { Glibc.write(descriptor.rawValue, &one, MemoryLayout<UInt64>.size) }
    }

    /// Reads and resets the counter: how many signals arrived since the last drain, or nil when none did.
    /// The corresponding C function is `read`.
    public func drain() -> UInt64? {
        var count: UInt64 = 0
        let n = retryingInterrupts { Glibc.read(descriptor.rawValue, &count, MemoryLayout<UInt64>.size) }
        return n == MemoryLayout<UInt64>.size ? count : nil
    }
}
