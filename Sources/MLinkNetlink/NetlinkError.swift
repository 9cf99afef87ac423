import MLinkSystem

/// A netlink request the kernel refused, or a netlink socket call that failed.
///
/// Carries what was being done in words (so rollback logs read like `ip` commands), the errno, and the kernel's
/// extended-ack text when it sent one: that text ("Nexthop has invalid gateway") is often the only clue that
/// strerror's generic "Invalid argument" hides.
public struct NetlinkError: Error, CustomStringConvertible, Equatable {
    /// What was attempted, e.g. "add address 10.77.0.10/24 on ml-vm0".
    public let operation: String
    /// The errno value (positive), e.g. EEXIST.
    public let errno: Int32
    /// The kernel's extended acknowledgement text (NLMSGERR_ATTR_MSG), when it sent one.
    public let message: String?

    /// An error for `operation` failing with `errno` and the kernel's optional explanation.
    public init(operation: String, errno: Int32, message: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.message = message
    }

    /// The errno as its Swift name, for comparisons such as `error.code == .fileExists`.
    public var code: Errno { Errno(rawValue: errno) }

    /// The errno's text, as strerror gives it.
    public var reason: String { code.description }

    /// `operation: reason (kernel: message)`, the kernel part only when present.
    public var description: String {
        guard let message, !message.isEmpty else { return "\(operation): \(reason)" }
        return "\(operation): \(reason) (kernel: \(message))"
    }
}
