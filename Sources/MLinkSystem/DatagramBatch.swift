import CMLinkShims
import Glibc
import MLinkTypes

/// Preallocated buffers and kernel headers for reading many datagrams with one `recvmmsg`.
///
/// Allocated once per event loop; each read reuses the same memory, so the receive path does not allocate.
/// Each buffer leaves `headroom` bytes free in front of the datagram and `tailroom` behind it.
public final class DatagramBatch {
    /// How many datagrams one read can return.
    public let capacity: Int
    /// Bytes per buffer available to the datagram.
    public let bufferSize: Int
    /// The datagram buffers (each `bufferSize` bytes).
    public let buffers: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    /// Lengths after a read; a length above `bufferSize` means the datagram was truncated.
    public let lengths: UnsafeMutablePointer<Int>
    /// Source addresses after a read.
    public let sources: UnsafeMutablePointer<sockaddr_storage>
    private let headers: OpaquePointer
    private let storage: UnsafeMutableRawPointer

    public init(capacity: Int, bufferSize: Int) {
        self.capacity = capacity
        self.bufferSize = bufferSize
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity * bufferSize, alignment: 64)
        buffers = .allocate(capacity: capacity)
        for i in 0..<capacity {
            buffers[i] = (storage + i * bufferSize).assumingMemoryBound(to: UInt8.self)
        }
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        sources = .allocate(capacity: capacity)
        sources.initialize(repeating: sockaddr_storage(), count: capacity)
        guard let h = mlink_batch_headers_new(Int32(capacity)) else { fatalError("out of memory for batch headers") }
        headers = h
    }

    deinit {
        storage.deallocate()
        buffers.deallocate()
        lengths.deallocate()
        sources.deallocate()
        mlink_batch_headers_free(headers)
    }

    /// Reads up to `capacity` datagrams from `socket` without blocking. Returns how many (0 when none).
    /// The corresponding C function is `recvmmsg`.
    @inline(__always)
    public func receive(from socket: UDPSocket) throws -> Int {
        let fd = socket.descriptor.rawValue
        let outcome: IOResult<Int32>
        do {
            // `lengths` needs no rebinding: Swift imports C's size_t as Int.
            outcome = try Syscall.retryingNegatedErrno("recvmmsg") {
                mlink_recv_batch(fd, buffers, bufferSize, lengths, sources, Int32(capacity), headers)
            }
        } catch {
            // ICMP errors surface as ECONNREFUSED/EHOSTUNREACH on the next read; they are not fatal to the link.
            if error == .connectionRefused || error == .noRouteToHost || error == .networkUnreachable { return 0 }
            throw SystemError("recvmmsg", socket.interfaceName, error)
        }
        guard case .processed(let n) = outcome else { return 0 }
        return Int(n)
    }
}
