import CMLinkShims
import Glibc

/// A netlink socket (`AF_NETLINK`, `SOCK_RAW`): whole datagrams to and from the kernel, closed with its owner.
///
/// Only the I/O lives here; the messages are built and decoded above, by MLinkNetlink's libmnl codec. The
/// message header and address used by `receive` are allocated once, so reading allocates nothing.
public final class NetlinkSocketDescriptor {
    /// The owned descriptor, for epoll.
    public let descriptor: FileDescriptor
    /// The port id the kernel assigned at bind time; replies to our requests carry it.
    public let portID: UInt32

    /// `struct sockaddr_nl` (family, padding, port id, groups): 12 bytes that Glibc's Swift module does not
    /// declare, kept in a `sockaddr_storage` and written at their fixed offsets.
    private static let addressLength = 12
    private let header: UnsafeMutablePointer<msghdr>
    private let vector: UnsafeMutablePointer<iovec>
    private let source: UnsafeMutablePointer<sockaddr_storage>

    /// Opens a socket for `netlinkProtocol` (e.g. NETLINK_ROUTE) and binds it to the multicast `groups` (0 for a
    /// request socket), letting the kernel choose the port id. The corresponding C calls are
    /// `socket(AF_NETLINK, SOCK_RAW)`, `bind` and `getsockname`.
    public init(protocol netlinkProtocol: Int32, groups: UInt32, nonBlocking: Bool) throws(SystemError) {
        let type = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        let fd = try Syscall.run("socket", "AF_NETLINK") { socket(AF_NETLINK, type, netlinkProtocol) }
        descriptor = FileDescriptor(owning: fd)
        var address = Self.address(groups: groups)
        let length = socklen_t(Self.addressLength)
        _ = try Syscall.run("bind", "AF_NETLINK") {
            withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        }
        var bound = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try Syscall.run("getsockname", "AF_NETLINK") {
            withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
            }
        }
        guard boundLength == length, Int32(bound.ss_family) == AF_NETLINK else {
            throw SystemError("getsockname", "AF_NETLINK", .invalidArgument)
        }
        portID = withUnsafeBytes(of: &bound) { $0.load(fromByteOffset: 4, as: UInt32.self) }
        header = .allocate(capacity: 1)
        header.initialize(to: msghdr())
        vector = .allocate(capacity: 1)
        vector.initialize(to: iovec())
        source = .allocate(capacity: 1)
        source.initialize(to: sockaddr_storage())
    }

    deinit {
        header.deallocate()
        vector.deallocate()
        source.deallocate()
    }

    /// Sets an integer option at level SOL_NETLINK (e.g. NETLINK_EXT_ACK). The corresponding C function is
    /// `setsockopt`.
    public func setOption(_ option: Int32, to value: Int32) throws(SystemError) {
        let fd = descriptor.rawValue
        var value = value
        _ = try Syscall.run("setsockopt", "SOL_NETLINK \(option)") {
            setsockopt(fd, SOL_NETLINK, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Sends one datagram to the kernel (port id 0); returns the bytes sent, or `.wouldBlock` when a
    /// non-blocking socket's queue is full. The corresponding C function is `sendto`.
    public func send(_ message: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        let fd = descriptor.rawValue
        var kernel = Self.address(groups: 0)
        let length = socklen_t(Self.addressLength)
        return try Syscall.nonBlocking("sendto", "AF_NETLINK") {
            withUnsafePointer(to: &kernel) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, message.baseAddress, message.count, 0, $0, length)
                }
            }
        }
    }

    /// Receives one datagram into `buffer`: its length, or `.wouldBlock` when nothing is queued on a
    /// non-blocking socket. A datagram larger than `buffer` is an error (ENOSPC), as it is for libmnl, since a
    /// cut netlink message cannot be decoded. The corresponding C function is `recvmsg`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        let fd = descriptor.rawValue
        vector.pointee = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        header.pointee = msghdr()
        header.pointee.msg_name = UnsafeMutableRawPointer(source)
        header.pointee.msg_iov = vector
        header.pointee.msg_iovlen = 1
        let message = header
        let addressCapacity = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let outcome = try Syscall.nonBlocking("recvmsg", "AF_NETLINK") { () -> Int in
            message.pointee.msg_namelen = addressCapacity
            return recvmsg(fd, message, 0)
        }
        guard case .processed = outcome else { return outcome }
        if message.pointee.msg_flags & Int32(MSG_TRUNC) != 0 {
            throw SystemError("recvmsg", "AF_NETLINK", .noSpace)
        }
        guard message.pointee.msg_namelen == socklen_t(Self.addressLength) else {
            throw SystemError("recvmsg", "AF_NETLINK", .invalidArgument)
        }
        return outcome
    }

    private static func address(groups: UInt32) -> sockaddr_storage {
        var address = sockaddr_storage()
        withUnsafeMutableBytes(of: &address) { raw in
            raw.storeBytes(of: sa_family_t(AF_NETLINK), toByteOffset: 0, as: sa_family_t.self)
            raw.storeBytes(of: 0, toByteOffset: 4, as: UInt32.self)  // port id: the kernel's choice, or the kernel
            raw.storeBytes(of: groups, toByteOffset: 8, as: UInt32.self)
        }
        return address
    }
}
