import CMnl
import Glibc

/// One NETLINK_ROUTE socket (an `mnl_socket`), closed when the owner lets go of it.
///
/// This is the only file that performs netlink I/O; messages are built and decoded in `NetlinkMessages`, and
/// replies gathered by `ReplyCollector`. EINTR from the socket calls is retried here, in one place.
final class NetlinkSocket {
    private let handle: OpaquePointer
    /// The port id the kernel assigned at bind time; replies to our requests carry it.
    let portID: UInt32
    private var lastSequence: UInt32
    private var receiveBuffer: [UInt8]

    /// Opens and binds a socket subscribed to `groups` (RTMGRP_* bits; 0 for a request socket).
    ///
    /// Extended acks are switched on so the kernel explains refusals, and capped acks so it does not echo
    /// the whole request back with each acknowledgement. Both are best effort: kernels before 4.12 (extended)
    /// and 4.3 (capped) refuse the options and still work, with terser errors.
    init(groups: UInt32, nonBlocking: Bool) throws {
        let flags = Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        guard let handle = mnl_socket_open2(NETLINK_ROUTE, flags) else {
            throw NetlinkError(operation: "open netlink socket", errno: errno)
        }
        self.handle = handle
        var on: Int32 = 1
        for option in [NETLINK_EXT_ACK, NETLINK_CAP_ACK] {
            _ = mnl_socket_setsockopt(handle, option, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        guard mnl_socket_bind(handle, groups, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let error = errno
            mnl_socket_close(handle)
            throw NetlinkError(operation: "bind netlink socket", errno: error)
        }
        portID = mnl_socket_get_portid(handle)
        lastSequence = UInt32(truncatingIfNeeded: time(nil))
        receiveBuffer = [UInt8](repeating: 0, count: NetlinkMessages.receiveCapacity)
    }

    deinit { mnl_socket_close(handle) }

    /// The descriptor, for epoll; still owned by this socket.
    var fileDescriptor: Int32 { mnl_socket_get_fd(handle) }

    /// A fresh, non-zero sequence number (0 would switch off reply matching).
    func nextSequence() -> UInt32 {
        lastSequence = lastSequence &+ 1
        if lastSequence == 0 { lastSequence = 1 }
        return lastSequence
    }

    /// Sends the request `build(sequence)` and returns the data messages of its reply, after the kernel's
    /// acknowledgement or NLMSG_DONE; throws the kernel's refusal as a `NetlinkError`.
    ///
    /// An interrupted dump is asked again, up to three times, since the kernel can only promise a consistent
    /// dump of a table that held still while it was read.
    func exchange(_ build: (UInt32) -> [UInt8], operation: @autoclosure () -> String) throws -> [[UInt8]] {
        attempts: for _ in 0..<3 {
            let sequence = nextSequence()
            try send(build(sequence), operation: operation())
            let collector = ReplyCollector(sequence: sequence)
            while let count = try receive(operation: operation()) {
                let progress = receiveBuffer.withUnsafeBytes {
                    collector.consume(UnsafeRawBufferPointer(rebasing: $0.prefix(count)))
                }
                switch progress {
                case .needMore: continue
                case .finished: return collector.messages
                case .failed(let status):
                    throw NetlinkError(operation: operation(), errno: status.errno, message: status.message)
                case .interrupted: continue attempts
                }
            }
            throw NetlinkError(operation: operation(), errno: EAGAIN, message: "no reply on a non-blocking socket")
        }
        throw NetlinkError(operation: operation(), errno: EINTR, message: "dump kept changing while read")
    }

    /// Reads whatever notifications are queued, without blocking; the socket must be non-blocking.
    func receivePending(operation: @autoclosure () -> String) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        while let count = try receive(operation: operation()) {
            let collector = ReplyCollector(sequence: 0)
            _ = receiveBuffer.withUnsafeBytes {
                collector.consume(UnsafeRawBufferPointer(rebasing: $0.prefix(count)))
            }
            messages += collector.messages
        }
        return messages
    }

    private func send(_ message: [UInt8], operation: @autoclosure () -> String) throws {
        while true {
            let sent = message.withUnsafeBytes { mnl_socket_sendto(handle, $0.baseAddress, $0.count) }
            if sent >= 0 { return }
            if errno == EINTR { continue }
            throw NetlinkError(operation: operation(), errno: errno)
        }
    }

    /// One datagram into the receive buffer; its length, or nil when nothing is queued on a non-blocking
    /// socket. The corresponding C call is `recvmsg`, through `mnl_socket_recvfrom`.
    private func receive(operation: @autoclosure () -> String) throws -> Int? {
        while true {
            let count = receiveBuffer.withUnsafeMutableBytes {
                mnl_socket_recvfrom(handle, $0.baseAddress, $0.count)
            }
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: throw NetlinkError(operation: operation(), errno: errno)
            }
        }
    }
}
