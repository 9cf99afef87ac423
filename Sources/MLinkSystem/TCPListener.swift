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
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try Syscall.run("socket", "\(address)") { socket(family, type, 0) }
        descriptor = FileDescriptor(owning: fd)
        var on: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        _ = try? Syscall.retrying("setsockopt") { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, size) }
        if address.address.isIPv6 {
            _ = try? Syscall.retrying("setsockopt") { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, size) }
        }
        var storage = sockaddr_storage()
        let length = address.write(to: &storage)
        _ = try Syscall.run("bind", "tcp \(address)") {
            withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        }
        _ = try Syscall.run("listen", "tcp \(address)") { listen(fd, backlog) }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try? Syscall.retrying("getsockname") {
            withUnsafeMutablePointer(to: &actual) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
            }
        }
        localAddress = SocketAddress(storage: &actual) ?? address
    }

    /// Accepts one pending client as a non-blocking descriptor, or nil when none is pending (or it went away).
    /// The corresponding C functions are `accept` and `fcntl` (glibc hides `accept4` from Swift).
    public func accept() -> FileDescriptor? {
        acceptNonBlockingClient(of: descriptor)
    }
}
