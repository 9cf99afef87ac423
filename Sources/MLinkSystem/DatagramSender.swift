import CMLinkShims
import Glibc
import MLinkTypes

/// Preallocated kernel headers for sending many datagrams on one socket with one `sendmmsg`.
///
/// The caller appends datagrams (pointer, length, destination) for one socket, calls `send(on:)`, reads which were
/// sent, and empties the sender. Nothing is copied and nothing allocated per datagram.
public final class DatagramSender {
    /// How many datagrams one `send` takes.
    public let capacity: Int
    private let bases: UnsafeMutablePointer<UnsafeRawPointer?>
    private let lengths: UnsafeMutablePointer<Int>
    private let destinations: UnsafeMutablePointer<sockaddr_storage>
    private let destinationLengths: UnsafeMutablePointer<socklen_t>
    private let sent: UnsafeMutablePointer<Bool>
    private let headers: OpaquePointer
    /// Datagrams appended since the last `removeAll`.
    public private(set) var count = 0
    /// `sendmmsg` calls made (for the syscall-per-packet figures).
    public private(set) var calls: UInt64 = 0

    public init(capacity: Int) {
        self.capacity = capacity
        bases = .allocate(capacity: capacity)
        bases.initialize(repeating: nil, count: capacity)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        destinations = .allocate(capacity: capacity)
        destinations.initialize(repeating: sockaddr_storage(), count: capacity)
        destinationLengths = .allocate(capacity: capacity)
        destinationLengths.initialize(repeating: 0, count: capacity)
        sent = .allocate(capacity: capacity)
        sent.initialize(repeating: false, count: capacity)
        guard let h = mlink_batch_headers_new(Int32(capacity)) else { fatalError("out of memory for batch headers") }
        headers = h
    }

    deinit {
        bases.deallocate()
        lengths.deallocate()
        destinations.deallocate()
        destinationLengths.deallocate()
        sent.deallocate()
        mlink_batch_headers_free(headers)
    }

    /// True when no further datagram fits.
    public var isFull: Bool { count == capacity }

    /// Adds a datagram; its bytes must stay valid until `send` returns.
    @inline(__always)
    public func append(_ bytes: UnsafeRawPointer, length: Int, to destination: SocketAddress) {
        precondition(count < capacity)
        bases[count] = bytes
        lengths[count] = length
        destinationLengths[count] = destination.write(to: destinations + count)
        sent[count] = false
        count += 1
    }

    /// True when datagram `index` left in the last `send`.
    @inline(__always)
    public func wasSent(_ index: Int) -> Bool { sent[index] }

    /// Sends every appended datagram on `socket`. A full queue (EAGAIN, ENOBUFS) drops the rest of this batch; a
    /// datagram the kernel refuses (e.g. ENETUNREACH) is skipped and the others still go. Returns how many left.
    /// The corresponding C function is `sendmmsg`.
    @discardableResult
    public func send(on socket: UDPSocket) -> Int {
        var index = 0, total = 0
        while index < count {
            var n: Int32
            repeat {
                calls += 1
                n = mlink_send_batch(socket.descriptor.rawValue, bases + index, lengths + index,
                                     destinations + index, destinationLengths + index, Int32(count - index), headers)
            } while n == -EINTR
            if n > 0 {
                for i in index..<(index + Int(n)) { sent[i] = true }
                index += Int(n)
                total += Int(n)
                continue
            }
            let e = -n
            if n == 0 || e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS { break }
            index += 1  // this destination is refused; the rest may still go
        }
        return total
    }

    /// Empties the sender for the next socket.
    @inline(__always)
    public func removeAll() { count = 0 }
}
