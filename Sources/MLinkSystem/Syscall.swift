import Glibc

/// What a call that may have to wait did: it processed `Value` (bytes, datagrams, a descriptor), or it would
/// have blocked.
///
/// Would-block is an ordinary outcome on a non-blocking descriptor, not an error, so it comes back as this value
/// and never allocates (swift-nio's shape).
public enum IOResult<Value> {
    /// The call completed with `Value`.
    case processed(Value)
    /// The call would have had to wait (EAGAIN/EWOULDBLOCK on a non-blocking descriptor).
    case wouldBlock
}

extension IOResult: Equatable where Value: Equatable {}
extension IOResult: Sendable where Value: Sendable {}

/// The one door from MLinkSystem to the kernel: every system call in this module runs inside one of these.
///
/// - EINTR is retried here and nowhere else, so no caller ever sees a signal interruption. The exception is
///   `close`: on Linux the descriptor is gone even when close reports EINTR, and retrying could close a number
///   another thread has just been given, so `close(_:)` calls it once.
/// - Would-block (EAGAIN, EWOULDBLOCK) is returned as `IOResult.wouldBlock` by `nonBlocking`, and thrown as
///   `Errno.wouldBlock` by `run`, for calls where waiting was not an option (a blocking descriptor timing out).
/// - EFAULT is a bad pointer handed to the kernel: a bug in this module, never the environment, so it traps
///   with the call's name instead of being thrown.
/// - Every other errno is thrown as `Errno` (typed, so nothing is boxed); the public wrappers turn it into a
///   `SystemError` naming the call and its subject.
enum Syscall {
    /// Runs `call` (which returns -1 and sets errno on failure) until it stops failing with EINTR.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ name: StaticString, _ call: () -> T) throws(Errno) -> IOResult<T> {
        while true {
            let result = call()
            if result >= 0 { return .processed(result) }
            let error = Glibc.errno
            switch error {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EFAULT: preconditionFailure("\(name): bad address handed to the kernel (EFAULT)")
            default: throw Errno(rawValue: error)
            }
        }
    }

    /// Runs `call` (which returns a negated errno on failure, like the C shims and the kernel's own ABI) until
    /// it stops failing with -EINTR.
    @inline(__always)
    static func retryingNegatedErrno<T: BinaryInteger>(_ name: StaticString, _ call: () -> T) throws(Errno) -> IOResult<T> {
        try retrying(name) {
            let result = call()
            if result >= 0 { return result }
            Glibc.errno = Int32(truncatingIfNeeded: -Int(result))
            return -1
        }
    }

    /// Runs a call that may block on a non-blocking descriptor: its result, or `.wouldBlock`.
    @inline(__always)
    static func nonBlocking<T: BinaryInteger>(_ name: StaticString, _ subject: @autoclosure () -> String = "",
                                              _ call: () -> T) throws(SystemError) -> IOResult<T> {
        do {
            return try retrying(name, call)
        } catch {
            throw SystemError(name.description, subject(), error)
        }
    }

    /// Runs a call that completes or fails (socket, bind, fcntl, ...): its non-negative result.
    @inline(__always)
    static func run<T: BinaryInteger>(_ name: StaticString, _ subject: @autoclosure () -> String = "",
                                      _ call: () -> T) throws(SystemError) -> T {
        let outcome: IOResult<T>
        do {
            outcome = try retrying(name, call)
        } catch {
            throw SystemError(name.description, subject(), error)
        }
        switch outcome {
        case .processed(let value): return value
        case .wouldBlock: throw SystemError(name.description, subject(), .wouldBlock)
        }
    }

    /// Runs a call that returns a pointer, or nil and sets errno (opendir, ...), retrying EINTR.
    @inline(__always)
    static func run<P>(_ name: StaticString, _ subject: @autoclosure () -> String = "",
                       pointer call: () -> P?) throws(SystemError) -> P {
        while true {
            if let result = call() { return result }
            let error = Glibc.errno
            if error == EINTR { continue }
            if error == EFAULT { preconditionFailure("\(name): bad address handed to the kernel (EFAULT)") }
            throw SystemError(name.description, subject(), Errno(rawValue: error))
        }
    }

    /// Runs a call that returns its error number instead of setting errno (posix_spawn, pthread_sigmask): 0 is
    /// success. These never fail with EINTR.
    @inline(__always)
    static func runReturningError(_ name: StaticString, _ subject: @autoclosure () -> String = "",
                                  _ call: () -> Int32) throws(SystemError) {
        let error = call()
        if error == 0 { return }
        if error == EFAULT { preconditionFailure("\(name): bad address handed to the kernel (EFAULT)") }
        throw SystemError(name.description, subject(), Errno(rawValue: error))
    }

    /// Closes `fd` once, without retrying EINTR (see the type's comment); the outcome is not reported, since the
    /// number is released whatever close says. The corresponding C function is `close`.
    @inline(__always)
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

/// Runs a libc call until it stops failing with EINTR; returns its result, or -errno on failure (would-block
/// included, as -EAGAIN).
///
/// The old shape of `Syscall`, kept for the files that still compare negated errnos themselves (UDPSocket,
/// TunDevice); it goes through `Syscall.retrying`, so EINTR is still handled in one place.
@inline(__always)
func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> T {
    do {
        switch try Syscall.retrying("system call", call) {
        case .processed(let value): return value
        case .wouldBlock: return T(-Int(EAGAIN))
        }
    } catch {
        return T(-Int(error.rawValue))
    }
}
