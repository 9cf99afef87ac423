/// Inner packets for one peer that arrived while it had no usable session, kept in order until one is up.
///
/// Without it whatever leaves before the handshake completes is lost: after `mlink up` on a 40 ms link the
/// first round trip (a DNS query, a TCP SYN, a SIP REGISTER, the first RTP frames) vanished every time.
///
/// Bounds, and why:
/// - `hostCapacity` 128 packets: two seconds of a 64 packet/s voice stream, a TCP initial window (10) many times
///   over, or a burst of DNS queries; the same count WireGuard stages. A router keeps `routerCapacity` 16 per
///   peer: it only needs the packets in flight to a host whose session lapsed, and it may have thousands of peers.
/// - `maximumAge` 2 s (the engine passes the de-duplication window's maximum copy age): anything older is stale
///   for real-time traffic, and a transport would have retransmitted it by then anyway.
/// - `slotSize` 2048 bytes: a 1500-byte link's inner packet (at most 1428) with room; a larger packet is refused.
///
/// When full it refuses the newest packet (counted), so the first packets of a flow, the ones that open it,
/// are the ones kept. Storage is allocated once, on the first packet staged for the peer (never per packet):
/// 256 KiB on a host, 32 KiB per peer on a router that ever needed it.
final class StagingQueue {
    static let hostCapacity = 128
    static let routerCapacity = 16
    static let slotSize = 2048

    let capacity: Int
    private let storage: UnsafeMutableRawPointer
    private let lengths: UnsafeMutablePointer<Int>
    private let times: UnsafeMutablePointer<UInt64>
    /// Index of the oldest packet, and how many are kept.
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage = .allocate(byteCount: capacity * StagingQueue.slotSize, alignment: 16)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        times = .allocate(capacity: capacity)
        times.initialize(repeating: 0, count: capacity)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        times.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// Copies a packet in behind the others; false (nothing kept) when the queue is full or the packet longer
    /// than a slot.
    @inline(__always)
    func append(_ packet: UnsafeRawPointer, length: Int, now: UInt64) -> Bool {
        guard count < capacity, length > 0, length <= StagingQueue.slotSize else { return false }
        let slot = (head + count) % capacity
        (storage + slot * StagingQueue.slotSize).copyMemory(from: packet, byteCount: length)
        lengths[slot] = length
        times[slot] = now
        count += 1
        return true
    }

    /// Drops the packets at the front that waited longer than `maximumAge`; returns how many.
    @inline(__always)
    func expire(now: UInt64, maximumAge: UInt64) -> Int {
        var dropped = 0
        while count > 0, now &- times[head] > maximumAge {
            removeFirst()
            dropped += 1
        }
        return dropped
    }

    /// The oldest packet kept (the queue must not be empty): its bytes and length.
    @inline(__always)
    var first: (packet: UnsafeMutableRawPointer, length: Int) {
        (storage + head * StagingQueue.slotSize, lengths[head])
    }

    @inline(__always)
    func removeFirst() {
        head = (head + 1) % capacity
        count -= 1
    }
}

/// Every peer's staging queue (allocated on the peer's first staged packet) and the total they hold, so the
/// data path's check "anything waiting?" is one comparison.
struct StagingArea {
    private(set) var queues: [StagingQueue?]
    /// Packets kept over all peers.
    private(set) var total = 0
    /// True while the engine sends staged packets (they must not be staged again, nor flushed recursively).
    var isFlushing = false
    let capacity: Int

    init(peers: Int, isRouter: Bool) {
        queues = [StagingQueue?](repeating: nil, count: peers)
        capacity = isRouter ? StagingQueue.routerCapacity : StagingQueue.hostCapacity
    }

    /// True when peer `peer` has packets waiting.
    @inline(__always)
    func hasPackets(for peer: Int) -> Bool {
        total > 0 && (queues[peer].map { !$0.isEmpty } ?? false)
    }

    /// Keeps a packet for `peer`; returns the number of packets dropped meanwhile (expired ones, or this one).
    @inline(__always)
    mutating func stage(_ packet: UnsafeRawPointer, length: Int, for peer: Int, now: UInt64, maximumAge: UInt64) -> Int {
        let queue: StagingQueue
        if let existing = queues[peer] {
            queue = existing
        } else {
            queue = StagingQueue(capacity: capacity)
            queues[peer] = queue
        }
        let expired = queue.expire(now: now, maximumAge: maximumAge)
        total -= expired
        guard queue.append(packet, length: length, now: now) else { return expired + 1 }
        total += 1
        return expired
    }

    /// Bookkeeping after the engine removed `n` packets from a queue itself.
    @inline(__always)
    mutating func removed(_ n: Int) { total -= n }
}
