/// Inner packets a host could not send yet because its first handshake (or a handshake after a router restart)
/// was still running, kept until the session is up.
///
/// Without this the first packets after `mlink up` (a TCP SYN, the first frames of a call) vanish for one
/// round trip. A fixed ring allocated once: at most `capacity` packets of at most `slotSize` bytes, none older
/// than the window's maximum copy age when sent (anything older is stale for real-time traffic and is dropped).
struct StagedPackets {
    static let capacity = 32
    static let slotSize = 2048

    private let storage: UnsafeMutableRawPointer
    private var lengths = [Int](repeating: 0, count: StagedPackets.capacity)
    private var times = [UInt64](repeating: 0, count: StagedPackets.capacity)
    private(set) var count = 0
    /// Packets refused because the ring was full or the packet too large, and packets dropped as too old.
    private(set) var dropped: UInt64 = 0

    init() {
        storage = .allocate(byteCount: StagedPackets.capacity * StagedPackets.slotSize, alignment: 16)
    }

    func deallocate() { storage.deallocate() }

    /// Copies a packet in; false (counted) when there is no room.
    mutating func append(_ packet: UnsafeRawPointer, length: Int, now: UInt64) -> Bool {
        guard count < StagedPackets.capacity, length <= StagedPackets.slotSize else {
            dropped += 1
            return false
        }
        (storage + count * StagedPackets.slotSize).copyMemory(from: packet, byteCount: length)
        lengths[count] = length
        times[count] = now
        count += 1
        return true
    }

    /// Hands every packet not older than `maximumAge` to `body`, oldest first, and empties the ring.
    mutating func drain(now: UInt64, maximumAge: UInt64, _ body: (UnsafeRawPointer, Int) -> Void) {
        let n = count
        count = 0
        for i in 0..<n {
            if now &- times[i] > maximumAge {
                dropped += 1
                continue
            }
            body(storage + i * StagedPackets.slotSize, lengths[i])
        }
    }
}
