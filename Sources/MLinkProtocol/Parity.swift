import MLinkParity
import MLinkTypes

/// Parity messages (PROTOCOL.md section 15): the layout of their payload.
enum ParityPayload {
    static let headerSize = 16
    static let maximumK = 32
    static let maximumM = 8
    static let maximumShards = 40

    struct Header {
        var blockID: UInt32
        var k: Int
        var m: Int
        var index: Int
        var firstCounter: UInt64
        /// Where the shard starts and how long it is.
        var shardOffset: Int
        var shardLength: Int

        /// Counter of data packet `i` of the block.
        func counter(_ i: Int, in payload: UnsafeRawPointer) -> UInt64 {
            i == 0 ? firstCounter : firstCounter + UInt64(LE.u16(payload, ParityPayload.headerSize + 2 * (i - 1)))
        }
    }

    /// Reads and checks a parity payload of `length` bytes; nil when malformed.
    static func read(_ p: UnsafeRawPointer, length: Int) -> Header? {
        guard length >= headerSize else { return nil }
        let k = Int(p.load(fromByteOffset: 4, as: UInt8.self)), m = Int(p.load(fromByteOffset: 5, as: UInt8.self))
        let index = Int(p.load(fromByteOffset: 6, as: UInt8.self))
        guard (1...maximumK).contains(k), (1...maximumM).contains(m), k + m <= maximumShards, index < m,
              p.load(fromByteOffset: 7, as: UInt8.self) == 0 else { return nil }
        let shardOffset = headerSize + 2 * (k - 1)
        guard length >= shardOffset + 3 else { return nil }
        var previous: UInt16 = 0
        for i in 1..<max(k, 1) {
            let delta = LE.u16(p, headerSize + 2 * (i - 1))
            guard delta > previous else { return nil }
            previous = delta
        }
        // Counters are below 2^64 - 2^13 (PROTOCOL.md §5), so no data counter of a block can lie past that.
        let first = LE.u64(p, 8)
        guard first <= UInt64.max - (1 << 13) - UInt64(previous) else { return nil }
        return Header(blockID: LE.u32(p, 0), k: k, m: m, index: index, firstCounter: first,
                      shardOffset: shardOffset, shardLength: length - shardOffset)
    }
}

/// A peer's outgoing parity: the block being filled and the parity messages waiting to leave.
final class ParitySender {
    let k: Int
    let m: Int
    /// A partly filled block is closed once its first packet is this old (ns), so parity never waits long.
    let maximumDelay: UInt64
    let block: ErasureBlock
    private(set) var counters: [UInt64]
    private(set) var count = 0
    private var firstAdded: UInt64 = 0
    private var blockID: UInt32 = 0
    /// Parity shards of the closed block still to send (their index is m - pending).
    private(set) var pending = 0
    /// The closed block's k (a block closed early has fewer packets).
    private var closedK = 0

    init(k: Int, m: Int, maximumDelay: UInt64, maximumPacket: Int) {
        self.k = k
        self.m = m
        self.maximumDelay = maximumDelay
        block = ErasureBlock(k: k, m: m, maximumPacket: maximumPacket)
        counters = [UInt64](repeating: 0, count: k)
    }

    /// Adds a data packet (its plaintext, before sealing) with its counter; closes the block when full.
    /// Returns false when the packet cannot join (the previous block's parity has not left yet).
    @inline(__always)
    func add(_ packet: UnsafeRawPointer, length: Int, counter: UInt64, now: UInt64) -> Bool {
        guard pending == 0, length <= block.maximumPacket else { return false }
        if count > 0, counter - counters[0] > UInt64(UInt16.max) { close() }
        guard pending == 0 else { return false }
        if count == 0 { firstAdded = now }
        block.setData(count, packet, length: length)
        counters[count] = counter
        count += 1
        if count == k { close() }
        return true
    }

    /// Closes a partly filled block whose first packet waited `maximumDelay`.
    func closeIfDue(now: UInt64) {
        if count > 0, pending == 0, now &- firstAdded >= maximumDelay { close() }
    }

    private func close() {
        closedK = count
        block.encode()
        pending = m
        count = 0
    }

    /// Writes the next parity payload into `payload`; returns its length (0 when none is pending).
    func writeNext(into payload: UnsafeMutableRawPointer) -> Int {
        guard pending > 0 else { return 0 }
        let index = m - pending
        LE.put(payload, 0, blockID)
        payload.storeBytes(of: UInt8(closedK), toByteOffset: 4, as: UInt8.self)
        payload.storeBytes(of: UInt8(m), toByteOffset: 5, as: UInt8.self)
        payload.storeBytes(of: UInt8(index), toByteOffset: 6, as: UInt8.self)
        payload.storeBytes(of: UInt8(0), toByteOffset: 7, as: UInt8.self)
        LE.put(payload, 8, counters[0])
        for i in 1..<max(closedK, 1) { LE.put(payload, ParityPayload.headerSize + 2 * (i - 1), UInt16(counters[i] - counters[0])) }
        let shardOffset = ParityPayload.headerSize + 2 * (closedK - 1)
        let shard = block.parity(index)
        (payload + shardOffset).copyMemory(from: shard.baseAddress!, byteCount: shard.count)
        return shardOffset + shard.count
    }

    /// The parity message last written went out.
    func sentOne() {
        pending -= 1
        if pending == 0 {
            blockID &+= 1
            block.reset()
        }
    }

    /// The largest parity payload this sender writes.
    var maximumPayload: Int { ParityPayload.headerSize + 2 * (k - 1) + block.shardCapacity }
}

/// A peer's incoming parity: the recent data packets kept for recovery, and the open blocks.
final class ParityReceiver {
    static let storeSize = 256
    static let openBlocks = 4
    /// Packets are kept while parity keeps coming: until this long after the last parity message (ns).
    static let activeFor: UInt64 = 10_000_000_000

    let maximumPacket: Int
    private let store: UnsafeMutableRawPointer
    private let stride: Int
    private var storedCounters: [UInt64]
    private var storedLengths: [Int]
    var lastParity: UInt64 = 0

    struct OpenBlock {
        var inUse = false
        var blockID: UInt32 = 0
        var k = 0
        var m = 0
        var firstCounter: UInt64 = 0
        var opened: UInt64 = 0
        var block: ErasureBlock?
    }
    var blocks: [OpenBlock]

    init(maximumPacket: Int) {
        self.maximumPacket = maximumPacket
        stride = (maximumPacket + 63) & ~63
        store = .allocate(byteCount: stride * ParityReceiver.storeSize, alignment: 64)
        storedCounters = [UInt64](repeating: 0, count: ParityReceiver.storeSize)
        storedLengths = [Int](repeating: 0, count: ParityReceiver.storeSize)
        blocks = [OpenBlock](repeating: OpenBlock(), count: ParityReceiver.openBlocks)
    }

    deinit { store.deallocate() }

    func isActive(now: UInt64) -> Bool { lastParity != 0 && now &- lastParity < ParityReceiver.activeFor }

    /// Keeps a received data packet's plaintext for recovery.
    @inline(__always)
    func keep(_ packet: UnsafeRawPointer, length: Int, counter: UInt64) {
        guard length <= maximumPacket else { return }
        let slot = Int(counter % UInt64(ParityReceiver.storeSize))
        (store + slot * stride).copyMemory(from: packet, byteCount: length)
        storedCounters[slot] = counter
        storedLengths[slot] = length
    }

    /// The kept plaintext of `counter`, if it is still there.
    func kept(_ counter: UInt64) -> (UnsafeRawPointer, Int)? {
        let slot = Int(counter % UInt64(ParityReceiver.storeSize))
        guard storedCounters[slot] == counter, counter != 0 else { return nil }
        return (UnsafeRawPointer(store + slot * stride), storedLengths[slot])
    }

    /// The open block for a parity header, opened (reusing the oldest slot) when new.
    func block(for header: ParityPayload.Header, now: UInt64, maximumAge: UInt64) -> Int {
        for i in blocks.indices where blocks[i].inUse {
            if now &- blocks[i].opened > maximumAge { blocks[i].inUse = false }
        }
        if let i = blocks.firstIndex(where: {
            $0.inUse && $0.blockID == header.blockID && $0.k == header.k && $0.m == header.m
                && $0.firstCounter == header.firstCounter
        }) {
            return i
        }
        let i = blocks.firstIndex { !$0.inUse } ?? blocks.indices.min { blocks[$0].opened < blocks[$1].opened }!
        if blocks[i].block == nil || blocks[i].k != header.k || blocks[i].m != header.m {
            blocks[i].block = ErasureBlock(k: header.k, m: header.m, maximumPacket: maximumPacket)
        }
        blocks[i].block!.reset()
        blocks[i].inUse = true
        blocks[i].blockID = header.blockID
        blocks[i].k = header.k
        blocks[i].m = header.m
        blocks[i].firstCounter = header.firstCounter
        blocks[i].opened = now
        return i
    }
}
