import CMLinkShims
import Glibc
import MLinkTypes

/// Preallocated kernel headers for sending many datagrams on one socket with one `sendmmsg`.
///
/// The caller appends datagrams (pointer, length, destination) for one socket, calls `send(on:)`, reads which were
/// sent, and empties the sender. Nothing is copied and nothing allocated per datagram: a datagram may be given in
/// two parts (its own head, a body it shares with other datagrams), which leave as two iovec entries.
public final class DatagramSender {
    /// How many datagrams one `send` takes.
    public let capacity: Int
    private let bases: UnsafeMutablePointer<UnsafeRawPointer?>
    /// Per datagram: the head's length and the body behind it (nil: `bases[i]` holds the whole datagram).
    private let headLengths: UnsafeMutablePointer<Int>
    private let bodies: UnsafeMutablePointer<UnsafeRawPointer?>
    /// Whole datagram lengths (head and body).
    private let lengths: UnsafeMutablePointer<Int>
    private let destinations: UnsafeMutablePointer<sockaddr_storage>
    private let destinationLengths: UnsafeMutablePointer<socklen_t>
    private let sent: UnsafeMutablePointer<Bool>
    private let headers: OpaquePointer
    /// Datagrams appended since the last `removeAll`.
    public private(set) var count = 0

    public init(capacity: Int) {
        self.capacity = capacity
        bases = .allocate(capacity: capacity)
        bases.initialize(repeating: nil, count: capacity)
        headLengths = .allocate(capacity: capacity)
        headLengths.initialize(repeating: 0, count: capacity)
        bodies = .allocate(capacity: capacity)
        bodies.initialize(repeating: nil, count: capacity)
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
        headLengths.deallocate()
        bodies.deallocate()
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
        append(bytes, headLength: length, body: nil, length: length, to: destination)
    }

    /// Adds a datagram of `length` bytes: `headLength` bytes at `head`, then (when `body` is not nil) the rest at
    /// `body`. Both must stay valid until `send` returns.
    @inline(__always)
    public func append(_ head: UnsafeRawPointer, headLength: Int, body: UnsafeRawPointer?, length: Int,
                       to destination: SocketAddress) {
        precondition(count < capacity && headLength <= length)
        bases[count] = head
        headLengths[count] = headLength
        bodies[count] = body
        lengths[count] = length
        destinationLengths[count] = destination.write(to: destinations + count)
        sent[count] = false
        count += 1
    }

    /// True when datagram `index` left in the last `send`.
    @inline(__always)
    public func wasSent(_ index: Int) -> Bool { sent[index] }

    /// Sends every appended datagram on `socket`. Runs of datagrams to one destination whose lengths are equal
    /// (the last may be shorter) leave as one UDP GSO super-datagram where the socket allows it (`UDP_SEGMENT`);
    /// the rest, and every run once the kernel or driver refused GSO (EIO, EINVAL: then off for good on that
    /// socket), go with `sendmmsg`. A full queue (EAGAIN, ENOBUFS) drops the rest of this batch; a datagram the
    /// kernel refuses (e.g. ENETUNREACH) is skipped and the others still go. Returns how many left.
    /// The corresponding C functions are `sendmsg` and `sendmmsg`.
    @discardableResult
    public func send(on socket: UDPSocket) -> Int {
        var index = 0, total = 0
        while index < count {
            if socket.segmentationOffload {
                let run = segmentRun(from: index)
                if run > 1 {
                    switch sendSegmented(on: socket, from: index, count: run) {
                    case .sent:
                        for i in index..<(index + run) { sent[i] = true }
                        index += run
                        total += run
                        continue
                    case .full:
                        return total
                    case .refused:
                        socket.segmentationOffload = false
                    }
                }
            }
            // Without GSO: everything left in one sendmmsg; with it, the stretch of datagrams no run can take.
            var end = count
            if socket.segmentationOffload {
                end = index + 1
                while end < count && segmentRun(from: end) == 1 { end += 1 }
            }
            let (next, done, stop) = sendBatch(on: socket, from: index, to: end)
            total += done
            index = next
            if stop { break }
        }
        return total
    }

    /// How many datagrams from `start` can share one GSO send: same destination, equal lengths (the last may be
    /// shorter), at most 64 segments and 65000 bytes.
    @inline(__always)
    private func segmentRun(from start: Int) -> Int {
        let segment = lengths[start]
        var total = segment, end = start + 1
        while end < count, end - start < 64, total + lengths[end] <= 65000, lengths[end - 1] == segment,
              lengths[end] <= segment, destinationLengths[end] == destinationLengths[start],
              memcmp(destinations + end, destinations + start, Int(destinationLengths[start])) == 0 {
            total += lengths[end]
            end += 1
        }
        return end - start
    }

    private enum SegmentedOutcome { case sent, full, refused }

    @inline(__always)
    private func sendSegmented(on socket: UDPSocket, from start: Int, count run: Int) -> SegmentedOutcome {
        var n: Int
        repeat {
            n = mlink_send_segmented(socket.descriptor.rawValue, bases + start, headLengths + start, bodies + start,
                                     lengths + start, Int32(run), destinations + start, destinationLengths[start],
                                     UInt16(lengths[start]))
        } while n == -Int(EINTR)
        if n >= 0 { return .sent }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS { return .full }
        return .refused  // EIO, EINVAL, ENOPROTOOPT: no GSO here; the datagrams go the plain way
    }

    /// sendmmsg over `start..<end`; returns the next index, how many left, and whether the queue is full.
    @inline(__always)
    private func sendBatch(on socket: UDPSocket, from start: Int, to end: Int) -> (Int, Int, Bool) {
        var index = start, total = 0
        while index < end {
            var n: Int32
            repeat {
                n = mlink_send_batch(socket.descriptor.rawValue, bases + index, headLengths + index, bodies + index,
                                     lengths + index, destinations + index, destinationLengths + index,
                                     Int32(end - index), headers)
            } while n == -EINTR
            if n > 0 {
                for i in index..<(index + Int(n)) { sent[i] = true }
                index += Int(n)
                total += Int(n)
                continue
            }
            let e = -n
            if n == 0 || e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS { return (end, total, true) }
            index += 1  // this destination is refused; the rest may still go
        }
        return (index, total, false)
    }

    /// Empties the sender for the next socket.
    @inline(__always)
    public func removeAll() { count = 0 }
}
