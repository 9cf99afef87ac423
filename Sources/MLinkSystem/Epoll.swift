import CMLinkShims
import Glibc

/// An epoll instance: the daemon's one place to wait for descriptors.
public final class Epoll {
    public let descriptor: FileDescriptor
    private let events: UnsafeMutablePointer<epoll_event>
    private let capacity: Int

    /// The corresponding C function is `epoll_create1`.
    public init(capacity: Int = 64) throws {
        let fd = try Syscall.run("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        descriptor = FileDescriptor(owning: fd)
        self.capacity = capacity
        events = .allocate(capacity: capacity)
        events.initialize(repeating: epoll_event(), count: capacity)
    }

    deinit { events.deallocate() }

    /// Watches `fd` for readability; `token` comes back with each event. The corresponding C call is
    /// `epoll_ctl(EPOLL_CTL_ADD)`.
    public func add(_ fd: Int32, token: UInt64) throws {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = token
        let epoll = descriptor.rawValue
        _ = try Syscall.run("epoll_ctl ADD") { epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) }
    }

    /// Changes what `fd` is watched for: readability and/or writability (a client whose answer did not fit the
    /// socket buffer waits for writability only). The corresponding C call is `epoll_ctl(EPOLL_CTL_MOD)`.
    public func modify(_ fd: Int32, token: UInt64, readable: Bool, writable: Bool) throws {
        var event = epoll_event()
        event.events = (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
        event.data.u64 = token
        let epoll = descriptor.rawValue
        _ = try Syscall.run("epoll_ctl MOD") { epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) }
    }

    /// Stops watching `fd`; a descriptor that is no longer watched (or already closed) is not an error.
    /// The corresponding C call is `epoll_ctl(EPOLL_CTL_DEL)`.
    public func remove(_ fd: Int32) {
        let epoll = descriptor.rawValue
        _ = try? Syscall.retrying("epoll_ctl DEL") { epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body` with each ready token.
    /// The corresponding C function is `epoll_wait`.
    ///
    /// A signal interrupting the wait restarts it (in `Syscall`) with the full timeout again; the daemon's
    /// signals arrive through a signalfd, so that only stretches a wait in processes that left them unblocked.
    @inline(__always)
    public func wait(timeoutMilliseconds: Int32, _ body: (UInt64) throws -> Void) throws {
        let epoll = descriptor.rawValue
        let n = try Syscall.run("epoll_wait") { epoll_wait(epoll, events, Int32(capacity), timeoutMilliseconds) }
        for i in 0..<Int(n) { try body(events[i].data.u64) }
    }
}
