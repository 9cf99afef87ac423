import CMLinkShims
import Glibc
import MLinkTypes

/// A UDP socket pinned to one local interface and address: one per link.
///
/// On Linux `bind()` alone does not choose the outgoing interface (the routing table does), so the socket is also
/// pinned with SO_BINDTODEVICE. Non-blocking: a full send queue drops the datagram instead of stalling the
/// other links.
public final class UDPSocket {
    public let descriptor: FileDescriptor
    /// The address and port the socket is bound to (the port the kernel chose when 0 was asked).
    public let localAddress: SocketAddress
    /// The interface the socket is pinned to.
    public let interfaceName: String
    /// The buffer sizes the kernel granted (it reports twice what was asked, for its bookkeeping).
    public let receiveBufferBytes: Int
    public let sendBufferBytes: Int
    /// True while sends may use UDP GSO (`UDP_SEGMENT`); cleared for good when the kernel or driver refuses it.
    public internal(set) var segmentationOffload: Bool

    /// Opens, pins and binds. The corresponding C calls are `socket`, `setsockopt(SO_BINDTODEVICE)`, `bind`.
    public init(interfaceName: String, address: SocketAddress, bufferBytes: Int32 = 4 << 20) throws {
        let family = address.address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket", "\(address)", errno: errno) }
        descriptor = FileDescriptor(owning: fd)
        self.interfaceName = interfaceName
        let subject = "\(address) on \(interfaceName)"
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if address.address.isIPv6 {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        // The *FORCE variants (root, CAP_NET_ADMIN) pass net.core.rmem_max/wmem_max, which a stock kernel sets to
        // 208 KiB and silently clamps the plain options to; without the capability the plain ones are the fallback.
        var size = bufferBytes
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var granted: Int32 = 0
        var grantedSize = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &grantedSize)
        receiveBufferBytes = Int(granted)
        _ = getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &granted, &grantedSize)
        sendBufferBytes = Int(granted)
        let nameBytes = Array(interfaceName.utf8) + [0]
        let rc = nameBytes.withUnsafeBytes { raw in
            setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, raw.baseAddress, socklen_t(nameBytes.count))
        }
        guard rc == 0 else { throw SystemError("setsockopt SO_BINDTODEVICE", subject, errno: errno) }
        var storage = sockaddr_storage()
        let length = address.write(to: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw SystemError("bind", subject, errno: errno) }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        localAddress = SocketAddress(storage: &actual) ?? address
        segmentationOffload = UDPSocket.segmentationAllowed && mlink_udp_segment_supported(fd) != 0
    }

    /// Sends one datagram. Returns false when it would block or the kernel refused it for this destination
    /// (unreachable network on this link): the caller counts a drop and goes on. The corresponding C function is
    /// `sendto`.
    @inline(__always)
    public func send(_ buffer: UnsafeRawPointer, count: Int, to destination: UnsafePointer<sockaddr_storage>,
                     destinationLength: socklen_t) -> SendOutcome {
        let n = retryingInterrupts {
            destination.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor.rawValue, buffer, count, Int32(MSG_DONTWAIT), $0, destinationLength)
            }
        }
        if n >= 0 { return .sent }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS { return .queueFull }
        return .failed(e)
    }

    /// False when the environment turns UDP GSO off (`MLINK_UDP_GSO=0`): the sendmmsg path, for tests and for
    /// drivers that misbehave.
    static let segmentationAllowed: Bool = {
        guard let value = getenv("MLINK_UDP_GSO") else { return true }
        return String(cString: value) != "0"
    }()

    /// Sends one datagram to `destination` (answers: handshake responses, probe replies). The corresponding C
    /// function is `sendto`.
    @inline(__always)
    public func send(_ buffer: UnsafeRawPointer, count: Int, to destination: SocketAddress) -> SendOutcome {
        var storage = sockaddr_storage()
        let length = destination.write(to: &storage)
        return send(buffer, count: count, to: &storage, destinationLength: length)
    }

    /// What happened to one datagram handed to `send`.
    public enum SendOutcome: Equatable {
        case sent
        /// The socket's queue is full: the datagram was dropped (counted by the caller).
        case queueFull
        /// The kernel refused it (e.g. ENETUNREACH while the link has no route): errno.
        case failed(Int32)
    }
}
