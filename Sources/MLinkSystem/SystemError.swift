/// A failed system call: the call's name, what it was acting on, and errno.
///
/// Environment errors (no such device, permission denied) are thrown as this type; would-block is never an
/// error (calls that can block return `IOResult.wouldBlock`), and EINTR is retried inside `Syscall`.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    /// The C call that failed, e.g. "bind".
    public let call: String
    /// What it acted on, e.g. "192.168.0.2:0 on enp0s3"; may be empty.
    public let subject: String
    /// The errno value.
    public let errno: Int32

    /// An error for `call` on `subject` failing with the raw errno value `errno`.
    public init(_ call: String, _ subject: String = "", errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    /// An error for `call` on `subject` failing with `code`.
    public init(_ call: String, _ subject: String = "", _ code: Errno) {
        self.init(call, subject, errno: code.rawValue)
    }

    /// The errno as its Swift name, for comparisons such as `error.code == .fileExists`.
    public var code: Errno { Errno(rawValue: errno) }

    /// The errno's text, as strerror gives it.
    public var reason: String { code.description }

    public var description: String {
        subject.isEmpty ? "\(call): \(reason)" : "\(call) \(subject): \(reason)"
    }
}
