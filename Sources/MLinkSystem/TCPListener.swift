import CMLinkShims
import Glibc
import MLinkTypes

/// A non-blocking TCP listening socket for the metrics endpoint: accepted clients are non-blocking too, so the
/// event loop that serves them never waits on a slow or silent client.
public final class TCPListener {
    public let descriptor: FileDescriptor
    /// The address and port actually bound (the kernel's choice when port 0 was asked).
    public let localAddress: SocketAddress

    /// Binds and listens. The corresponding C calls are `socket`, `setsockopt(SO_REUSEADDR)`, `bind`, `listen`.
    public init(address: SocketAddress, backlog: Int32 = 16) throws {
        let family = address.address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket", "\(address)", errno: errno) }
        descriptor = FileDescriptor(owning: fd)
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if address.address.isIPv6 {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        var storage = sockaddr_storage()
        let length = address.write(to: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw SystemError("bind", "tcp \(address)", errno: errno) }
        guard listen(fd, backlog) == 0 else { throw SystemError("listen", "tcp \(address)", errno: errno) }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        localAddress = SocketAddress(storage: &actual) ?? address
    }

    /// Accepts one pending client as a non-blocking descriptor, or nil when none is pending (or it went away).
    /// The corresponding C functions are `accept` and `fcntl` (glibc hides `accept4` from Swift).
    public func accept() -> FileDescriptor? {
        acceptNonBlockingClient(of: descriptor)
    }
}
