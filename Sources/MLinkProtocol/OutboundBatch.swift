import MLinkTypes

/// Inner packets waiting to be sent, each in a buffer with room for a transport header in front and a tag behind.
///
/// The daemon reads TUN packets straight to `payload(at:)`; the engine then seals the last copy of each packet in
/// place (the header goes into the headroom, the tag into the tailroom), so a packet that leaves on one link is
/// never copied. Preallocated once; reused for every batch.
public final class PacketBatch {
    /// How many packets the batch holds.
    public let capacity: Int
    /// The largest inner packet a buffer takes.
    public let packetCapacity: Int
    /// Bytes per buffer: headroom + packet + tailroom, rounded to 64.
    let stride: Int
    /// `capacity + 1` buffers of `stride` bytes: one per slot and one spare (`detach(at:)`).
    private let storage: UnsafeMutableRawPointer
    /// The buffer of each slot (headroom included), then the spare: slots trade buffers with the spare.
    private let buffers: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private let lengths: UnsafeMutablePointer<Int>
    /// Packets in the batch; `append(length:)` adds one, `removeAll()` empties it.
    public private(set) var count = 0

    public init(capacity: Int, packetCapacity: Int) {
        precondition(capacity > 0 && packetCapacity > 0)
        self.capacity = capacity
        self.packetCapacity = packetCapacity
        stride = (WireFormat.transportOverhead + packetCapacity + 63) & ~63
        storage = .allocate(byteCount: (capacity + 1) * stride, alignment: 64)
        buffers = .allocate(capacity: capacity + 1)
        for i in 0...capacity { (buffers + i).initialize(to: storage + i * stride) }
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
    }

    deinit {
        storage.deallocate()
        buffers.deallocate()
        lengths.deallocate()
    }

    /// True when no further packet fits.
    public var isFull: Bool { count == capacity }

    /// Where packet `index` starts (`packetCapacity` bytes are writable there). Write the next packet at
    /// `payload(at: count)`, then `append(length:)`.
    @inline(__always)
    public func payload(at index: Int) -> UnsafeMutableRawPointer {
        buffers[index] + WireFormat.transportHeaderSize
    }

    /// Takes the packet just written at `payload(at: count)` out of the batch without copying it: that slot gets
    /// the spare buffer, and the returned pointer (the packet, at the same place in its buffer) stays valid and
    /// untouched until the next `detach`. A TSO super-packet read into the next slot is cut from there into the
    /// slots that follow, which may then reuse that slot (DataPath.swift).
    @inline(__always)
    public func detachNext() -> UnsafeMutableRawPointer {
        precondition(count < capacity)
        let taken = buffers[count]
        buffers[count] = buffers[capacity]
        buffers[capacity] = taken
        return taken + WireFormat.transportHeaderSize
    }

    /// The length of packet `index`.
    @inline(__always)
    public func length(at index: Int) -> Int { lengths[index] }

    /// Takes the packet just written at `payload(at: count)`.
    @inline(__always)
    public func append(length: Int) {
        precondition(count < capacity && length <= packetCapacity)
        lengths[count] = length
        count += 1
    }

    /// Empties the batch (the buffers stay).
    @inline(__always)
    public func removeAll() { count = 0 }
}

/// Datagrams the engine sealed and the daemon is to send: per datagram its bytes, the socket slot and the
/// destination, plus which connection it belongs to, so one `completeTransmission` can count what the links
/// refused.
///
/// A datagram's bytes live in the batch's own buffers, or in place in the caller's packet buffer (the first copy
/// of a packet, sealed where it was read); either way they stay valid until the batch is emptied. With
/// `sharedBodies` (the daemon), a further copy of a packet is two parts: its own 28-byte header (path id, path
/// sequence, copy tag) in the batch's header storage, then the sealed body and AEAD tag of the first copy, which
/// it shares (`head(at:)`, `headLength(at:)`, `body(at:)`; sent as two iovec entries). Without it every datagram
/// is one contiguous buffer at `bytes(at:)` (the copies are byte copies), as the tests read them.
/// Preallocated once: filling and sending it allocates nothing.
public final class OutboundBatch {
    /// How many datagrams the batch holds.
    public let capacity: Int
    /// The largest datagram a batch buffer holds (an inner packet of `bufferSize - transportOverhead` bytes).
    public let bufferSize: Int
    /// True when further copies of a packet share its sealed body instead of copying it.
    public let sharedBodies: Bool
    private let storage: UnsafeMutableRawPointer
    /// One transport header per datagram, for the copies that share a body.
    private let heads: UnsafeMutableRawPointer
    private let bases: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// Per datagram: the length of the part at `bases` and the shared body behind it (nil: none).
    private let headLengths: UnsafeMutablePointer<Int>
    private let bodies: UnsafeMutablePointer<UnsafeRawPointer?>
    private let lengths: UnsafeMutablePointer<Int>
    private let slots: UnsafeMutablePointer<Int>
    private let destinations: UnsafeMutablePointer<SocketAddress>
    /// Attribution: peer index, connection index and path id (-1 for datagrams of no connection).
    let peers: UnsafeMutablePointer<Int32>
    let connections: UnsafeMutablePointer<Int32>
    let pathIDs: UnsafeMutablePointer<UInt16>
    private let failures: UnsafeMutablePointer<Bool>
    /// Datagrams in the batch.
    public private(set) var count = 0
    /// Batch buffers in use (datagrams sealed in place use none).
    private var buffersUsed = 0

    public init(capacity: Int, bufferSize: Int, sharedBodies: Bool = false) {
        precondition(capacity > 0 && bufferSize >= WireFormat.transportOverhead + WireFormat.probePayloadSize)
        self.capacity = capacity
        self.bufferSize = (bufferSize + 63) & ~63
        self.sharedBodies = sharedBodies
        storage = .allocate(byteCount: capacity * self.bufferSize, alignment: 64)
        heads = .allocate(byteCount: capacity * OutboundBatch.headStride, alignment: 64)
        bases = .allocate(capacity: capacity)
        bases.initialize(repeating: storage, count: capacity)
        headLengths = .allocate(capacity: capacity)
        headLengths.initialize(repeating: 0, count: capacity)
        bodies = .allocate(capacity: capacity)
        bodies.initialize(repeating: nil, count: capacity)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        destinations = .allocate(capacity: capacity)
        destinations.initialize(repeating: SocketAddress(address: IPAddress(ipv4: 0), port: 0), count: capacity)
        peers = .allocate(capacity: capacity)
        peers.initialize(repeating: -1, count: capacity)
        connections = .allocate(capacity: capacity)
        connections.initialize(repeating: -1, count: capacity)
        pathIDs = .allocate(capacity: capacity)
        pathIDs.initialize(repeating: 0, count: capacity)
        failures = .allocate(capacity: capacity)
        failures.initialize(repeating: false, count: capacity)
    }

    /// Bytes per header in `heads` (a transport header, rounded up).
    static let headStride = 32

    deinit {
        storage.deallocate()
        heads.deallocate()
        bases.deallocate()
        headLengths.deallocate()
        bodies.deallocate()
        lengths.deallocate()
        slots.deallocate()
        destinations.deallocate()
        peers.deallocate()
        connections.deallocate()
        pathIDs.deallocate()
        failures.deallocate()
    }

    /// True when there is nothing to send.
    public var isEmpty: Bool { count == 0 }

    /// The bytes of datagram `index` when it is one buffer (always without `sharedBodies`); otherwise its head.
    @inline(__always)
    public func bytes(at index: Int) -> UnsafeRawPointer { UnsafeRawPointer(bases[index]) }

    /// The first part of datagram `index`: the whole datagram, or its header when `body(at:)` is not nil.
    @inline(__always)
    public func head(at index: Int) -> UnsafeRawPointer { UnsafeRawPointer(bases[index]) }

    /// The length of the part at `head(at:)`.
    @inline(__always)
    public func headLength(at index: Int) -> Int { headLengths[index] }

    /// The shared body (sealed payload and AEAD tag) that follows datagram `index`'s head, or nil when the head is
    /// the whole datagram. Its length is `length(at:) - headLength(at:)`.
    @inline(__always)
    public func body(at index: Int) -> UnsafeRawPointer? { bodies[index] }

    /// Writes datagram `index`, head and body, contiguously at `destination` (`length(at:)` bytes).
    @inline(__always)
    public func copyDatagram(at index: Int, to destination: UnsafeMutableRawPointer) {
        destination.copyMemory(from: bases[index], byteCount: headLengths[index])
        if let body = bodies[index] {
            (destination + headLengths[index]).copyMemory(from: body, byteCount: lengths[index] - headLengths[index])
        }
    }

    /// The length of datagram `index` (head and body).
    @inline(__always)
    public func length(at index: Int) -> Int { lengths[index] }

    /// The socket slot datagram `index` leaves on.
    @inline(__always)
    public func slot(at index: Int) -> Int { slots[index] }

    /// Where datagram `index` goes.
    @inline(__always)
    public func destination(at index: Int) -> SocketAddress { destinations[index] }

    /// Records that datagram `index` was not sent (queue full, refused): `completeTransmission` counts it.
    @inline(__always)
    public func markFailed(_ index: Int) { failures[index] = true }

    /// True when datagram `index` was marked failed.
    @inline(__always)
    public func isFailed(_ index: Int) -> Bool { failures[index] }

    /// Empties the batch. The engine's `completeTransmission` does this after counting failures.
    @inline(__always)
    public func removeAll() {
        count = 0
        buffersUsed = 0
    }

    // MARK: Filling (the engine)

    /// Room for `datagrams` more datagrams, of which `buffers` need a batch buffer.
    @inline(__always)
    func hasRoom(datagrams: Int, buffers: Int) -> Bool {
        count + datagrams <= capacity && buffersUsed + buffers <= capacity
    }

    /// The next free batch buffer, taken. Only after `hasRoom` said yes.
    @inline(__always)
    func takeBuffer() -> UnsafeMutableRawPointer {
        let buffer = storage + buffersUsed * bufferSize
        buffersUsed += 1
        return buffer
    }

    /// The header storage of the next datagram (`transportHeaderSize` bytes), for a copy that shares a body.
    @inline(__always)
    func nextHead() -> UnsafeMutableRawPointer { heads + count * OutboundBatch.headStride }

    /// Appends a datagram whose bytes are at `base`.
    @inline(__always)
    func append(_ base: UnsafeMutableRawPointer, length: Int, slot: Int, destination: SocketAddress,
                peer: Int, connection: Int, pathID: UInt16) {
        append(base, headLength: length, body: nil, length: length, slot: slot, destination: destination,
               peer: peer, connection: connection, pathID: pathID)
    }

    /// Appends a datagram of `length` bytes: `headLength` bytes at `base`, then the rest at `body` (when not nil).
    @inline(__always)
    func append(_ base: UnsafeMutableRawPointer, headLength: Int, body: UnsafeRawPointer?, length: Int, slot: Int,
                destination: SocketAddress, peer: Int, connection: Int, pathID: UInt16) {
        bases[count] = base
        headLengths[count] = headLength
        bodies[count] = body
        lengths[count] = length
        slots[count] = slot
        destinations[count] = destination
        peers[count] = Int32(truncatingIfNeeded: peer)
        connections[count] = Int32(truncatingIfNeeded: connection)
        pathIDs[count] = pathID
        failures[count] = false
        count += 1
    }
}
