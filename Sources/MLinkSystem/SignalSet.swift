import CMLinkShims
import Glibc

/// Termination signals delivered as a readable descriptor, so the event loop handles them like any input.
public final class SignalDescriptor {
    public let descriptor: FileDescriptor

    /// Blocks SIGTERM, SIGINT and SIGHUP for the process and opens a signalfd for them; ignores SIGPIPE.
    /// The corresponding C functions are `sigprocmask` and `signalfd`.
    ///
    /// An ignored signal is discarded before it could reach the signalfd, and shells start background commands
    /// with SIGINT ignored; `resettingIgnored` restores the default first, for commands that Ctrl-C must stop
    /// wherever they were started (`show --watch`).
    public init(resettingIgnored: Bool = false) throws {
        if resettingIgnored {
            for number in [SIGTERM, SIGINT, SIGHUP] { signal(number, SIG_DFL) }
        }
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        try Syscall.runReturningError("sigprocmask") { pthread_sigmask(SIG_BLOCK, &set, nil) }
        let fd = try Syscall.run("signalfd") { signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
        descriptor = FileDescriptor(owning: fd)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Waits up to `timeoutMilliseconds` for a signal and returns it, or nil when the time ran out. For
    /// programs without an event loop (`show --watch`). The corresponding C function is `poll`.
    public func wait(timeoutMilliseconds: Int32) -> Int32? {
        var entry = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        _ = try? Syscall.retrying("poll") { poll(&entry, 1, timeoutMilliseconds) }  // next() says whether one is pending
        return next()
    }

    /// Returns the next pending signal number, or nil. The corresponding C function is `read` on the signalfd.
    public func next() -> Int32? {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        let outcome = withUnsafeMutableBytes(of: &info) { raw in try? descriptor.read(into: raw) }
        guard case .processed(size)? = outcome else { return nil }
        return Int32(info.ssi_signo)
    }
}
