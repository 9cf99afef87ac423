import Glibc

/// A POSIX error number with a Swift name, so modules above MLinkSystem compare errors without importing libc.
///
/// `description` is strerror's text; this is the one place in mlink that asks libc for it, so every error type
/// (SystemError, NetlinkError, the profile loader's read errors) words the same errno the same way.
public struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
    /// The positive errno value, e.g. 2 for ENOENT.
    public let rawValue: Int32

    /// The error numbered `rawValue` (positive, as errno holds it).
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The calling thread's errno right now. Read it straight after the failed call: any later libc call may
    /// overwrite it.
    @inline(__always)
    public static var current: Errno { Errno(rawValue: Glibc.errno) }

    /// strerror's text, e.g. "No such file or directory". The corresponding C function is `strerror`.
    public var description: String { String(cString: strerror(rawValue)) }

    /// EPERM: the caller lacks the privilege (typically: not root).
    public static let notPermitted = Errno(rawValue: EPERM)
    /// ENOENT: no such file, directory or entry.
    public static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    /// ESRCH: no such process.
    public static let noSuchProcess = Errno(rawValue: ESRCH)
    /// EINTR: a signal arrived while the call waited. Retried inside MLinkSystem; callers never see it.
    public static let interrupted = Errno(rawValue: EINTR)
    /// EIO: an input/output error (also a driver refusing an offload).
    public static let ioError = Errno(rawValue: EIO)
    /// EBADF: the number is not an open descriptor.
    public static let badFileDescriptor = Errno(rawValue: EBADF)
    /// EAGAIN (= EWOULDBLOCK on Linux): a non-blocking call would have had to wait. MLinkSystem returns it as
    /// `IOResult.wouldBlock`, never as an error.
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    /// ENOMEM: the kernel is out of memory.
    public static let noMemory = Errno(rawValue: ENOMEM)
    /// EACCES: permission denied by file mode or policy.
    public static let permissionDenied = Errno(rawValue: EACCES)
    /// EFAULT: a pointer handed to the kernel is invalid; always a programmer error.
    public static let badAddress = Errno(rawValue: EFAULT)
    /// EBUSY: the device or resource is in use.
    public static let resourceBusy = Errno(rawValue: EBUSY)
    /// EEXIST: the file, route, rule or address already exists.
    public static let fileExists = Errno(rawValue: EEXIST)
    /// ENODEV: no such device (a link that vanished, or no TUN driver).
    public static let noSuchDevice = Errno(rawValue: ENODEV)
    /// ENOTDIR: a path component is not a directory.
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    /// EISDIR: the path is a directory.
    public static let isDirectory = Errno(rawValue: EISDIR)
    /// EINVAL: an argument the kernel refuses.
    public static let invalidArgument = Errno(rawValue: EINVAL)
    /// EMFILE: the process has no descriptor numbers left.
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    /// ENOSPC: no space left on the device (netlink: a reply larger than the receive buffer).
    public static let noSpace = Errno(rawValue: ENOSPC)
    /// EPIPE: the other end of a pipe or stream socket has closed.
    public static let brokenPipe = Errno(rawValue: EPIPE)
    /// ENAMETOOLONG: a path or socket name is too long.
    public static let fileNameTooLong = Errno(rawValue: ENAMETOOLONG)
    /// EBADMSG: a malformed message.
    public static let badMessage = Errno(rawValue: EBADMSG)
    /// EMSGSIZE: the datagram is larger than the path allows.
    public static let messageTooLong = Errno(rawValue: EMSGSIZE)
    /// ENOPROTOOPT: the socket option is unknown to this kernel.
    public static let protocolNotAvailable = Errno(rawValue: ENOPROTOOPT)
    /// EOPNOTSUPP: the operation is not supported (on this socket or by this kernel).
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)
    /// EAFNOSUPPORT: the address family is not supported (e.g. IPv6 disabled).
    public static let addressFamilyNotSupported = Errno(rawValue: EAFNOSUPPORT)
    /// EADDRINUSE: the address and port are taken.
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    /// EADDRNOTAVAIL: the address is not assigned to any local interface.
    public static let addressNotAvailable = Errno(rawValue: EADDRNOTAVAIL)
    /// ENETUNREACH: no route to the network.
    public static let networkUnreachable = Errno(rawValue: ENETUNREACH)
    /// ENOBUFS: the socket's send queue or the kernel's buffers are full.
    public static let noBufferSpace = Errno(rawValue: ENOBUFS)
    /// ETIMEDOUT: the connection or call timed out.
    public static let timedOut = Errno(rawValue: ETIMEDOUT)
    /// ECONNREFUSED: the peer refused (for UDP: an ICMP port unreachable came back).
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    /// ECONNRESET: the peer reset the connection.
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    /// EHOSTUNREACH: no route to the host (an ICMP host unreachable, or no neighbour).
    public static let noRouteToHost = Errno(rawValue: EHOSTUNREACH)
}
