import Glibc

/// A failed system call: the call's name, what it was acting on, and errno.
///
/// Environment errors (no such device, permission denied) are thrown as this type; would-block is never an
/// error (calls that can block return it as a value), and EINTR is retried inside `retryingInterrupts`.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    /// The C call that failed, e.g. "bind".
    public let call: String
    /// What it acted on, e.g. "192.168.0.2:0 on enp0s3"; may be empty.
    public let subject: String
    /// The errno value.
    public let errno: Int32

    public init(_ call: String, _ subject: String = "", errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    /// The errno's text, as strerror gives it.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String {
        subject.isEmpty ? "\(call): \(reason)" : "\(call) \(subject): \(reason)"
    }
}

/// Runs a libc call until it stops failing with EINTR; returns its result, or -errno on failure.
///
/// Every syscall in this module goes through here so that signal interruptions are handled in one place.
@inline(__always)
func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result < 0 && errno == EINTR { continue }
        if result < 0 { return T(-Int(errno)) }
        return result
    }
}
