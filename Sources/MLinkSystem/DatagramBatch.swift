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
        let n = lengths.withMemoryRebound(to: Int.self, capacity: capacity) { lens in
            mlink_recv_batch(socket.descriptor.rawValue, buffers, bufferSize,
                             UnsafeMutableRawPointer(lens).assumingMemoryBound(to: size_t.self),
                             sources, Int32(capacity), headers)
        }
        if n >= 0 { return Int(n) }
        let e = -n
        if e == EAGAIN || e == EWOULDBLOCK { return 0 }
        // ICMP errors surface as ECONNREFUSED/EHOSTUNREACH on the next read; they are not fatal to the link.
        if e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH { return 0 }
        throw SystemError("recvmmsg", socket.interfaceName, errno: e)
    }
}
