import CMnl
import MLinkSystem

/// One NETLINK_ROUTE socket, closed when the owner lets go of it.
///
/// This is the only file that performs netlink I/O, through MLinkSystem's `NetlinkSocketDescriptor` (which
/// retries EINTR and reports would-block as a value); messages are built and decoded in `NetlinkMessages`, and
/// replies gathered by `ReplyCollector`.
final class NetlinkSocket {
    private let socket: NetlinkSocketDescriptor
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
        do {
            socket = try NetlinkSocketDescriptor(protocol: NETLINK_ROUTE, groups: groups, nonBlocking: nonBlocking)
        } catch {
            throw NetlinkError(operation: "\(error.call == "socket" ? "open" : "bind") netlink socket", errno: error.errno)
        }
        for option in [NETLINK_EXT_ACK, NETLINK_CAP_ACK] {
            try? socket.setOption(option, to: 1)
        }
        portID = socket.portID
        lastSequence = UInt32(truncatingIfNeeded: WallClock.seconds)
        receiveBuffer = [UInt8](repeating: 0, count: NetlinkMessages.receiveCapacity)
    }

    /// Asks the kernel to check dump requests strictly and honour their filters (NETLINK_GET_STRICT_CHK,
    /// Linux 4.20+); false when it refuses. Every request built in `NetlinkMessages` carries its full family
    /// header, as strict checking requires.
    func enableStrictChecking() -> Bool {
        (try? socket.setOption(NETLINK_GET_STRICT_CHK, to: 1)) != nil
    }

    /// The descriptor, for epoll; still owned by this socket.
    var fileDescriptor: Int32 { socket.descriptor.rawValue }

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
            throw NetlinkError(operation: operation(), errno: Errno.wouldBlock.rawValue,
                               message: "no reply on a non-blocking socket")
        }
        throw NetlinkError(operation: operation(), errno: Errno.interrupted.rawValue,
                           message: "dump kept changing while read")
    }

    /// Reads the notifications queued now, at most `limit` datagrams, without blocking; the socket must be
    /// non-blocking. The limit bounds the time one call takes while another program floods the queue (a
    /// routing daemon loading a full table): the caller's event loop comes back for the rest.
    func receivePending(limit: Int = .max, operation: @autoclosure () -> String) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var datagrams = 0
        while datagrams < limit, let count = try receive(operation: operation()) {
            datagrams += 1
            let collector = ReplyCollector(sequence: 0)
            _ = receiveBuffer.withUnsafeBytes {
                collector.consume(UnsafeRawBufferPointer(rebasing: $0.prefix(count)))
            }
            messages += collector.messages
        }
        return messages
    }

    /// Sends one request. A full queue on a non-blocking socket is reported as EAGAIN: requests are never
    /// dropped silently. The corresponding C call is `sendto`.
    private func send(_ message: [UInt8], operation: @autoclosure () -> String) throws {
        let outcome: Result<IOResult<Int>, SystemError> = message.withUnsafeBytes { bytes in
            Result { () throws(SystemError) in try socket.send(bytes) }
        }
        switch outcome {
        case .success(.processed): return
        case .success(.wouldBlock): throw NetlinkError(operation: operation(), errno: Errno.wouldBlock.rawValue)
        case .failure(let error): throw NetlinkError(operation: operation(), errno: error.errno)
        }
    }

    /// One datagram into the receive buffer; its length, or nil when nothing is queued on a non-blocking
    /// socket. The corresponding C call is `recvmsg`.
    private func receive(operation: @autoclosure () -> String) throws -> Int? {
        let outcome: Result<IOResult<Int>, SystemError> = receiveBuffer.withUnsafeMutableBytes { buffer in
            Result { () throws(SystemError) in try socket.receive(into: buffer) }
        }
        switch outcome {
        case .success(.processed(let count)): return count
        case .success(.wouldBlock): return nil
        case .failure(let error): throw NetlinkError(operation: operation(), errno: error.errno)
        }
    }
}
