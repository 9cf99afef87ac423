import CIsal

/// One block of an erasure code: `k` data shards and `m` parity shards, each a length prefix and a packet.
///
/// Shard `i` holds `length (u16 LE) ‖ packet ‖ zero padding`; parity is computed over the first `2 + longest
/// packet` bytes of every data shard, so packets of different sizes share one block and each comes back with its
/// own length. With `m == 1` parity is the XOR of the data shards (any one loss); otherwise Reed-Solomon over
/// GF(2^8) with a Cauchy generator through Intel ISA-L (any `m` losses among the `k + m` shards). Buffers and
/// tables are allocated once, in `init`; encoding and recovery allocate nothing, and the decode tables of the last
/// loss patterns are cached (inverting a matrix per block would cost more than the code itself).
public final class ErasureBlock {
    public let k: Int
    public let m: Int
    /// The largest packet a shard holds.
    public let maximumPacket: Int
    /// Bytes per shard: the length prefix and the largest packet.
    public var shardCapacity: Int { maximumPacket + 2 }

    private let storage: UnsafeMutableRawPointer
    /// Pointers to every shard (data 0..<k, then parity), as ISA-L takes them.
    private let shards: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    private let scratchSources: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    private let scratchOutputs: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    /// The (k + m) x k generator: identity on top, Cauchy rows below.
    private let generator: UnsafeMutablePointer<UInt8>
    private let encodeTables: UnsafeMutablePointer<UInt8>
    private let matrixScratch: UnsafeMutablePointer<UInt8>
    private let inverse: UnsafeMutablePointer<UInt8>
    private let decodeRows: UnsafeMutablePointer<UInt8>
    private var cache: [(pattern: UInt64, tables: UnsafeMutablePointer<UInt8>)] = []
    private var cacheNext = 0
    static let cacheSize = 8
    /// Which shards hold something (bit i: shard i): set by `setData`/`setReceived`, cleared by `reset`.
    public private(set) var present: UInt64 = 0
    /// The coded length of this block: 2 + the longest packet put in (parity shards are this long).
    public private(set) var codedLength = 0

    /// `k + m <= 64` (a loss pattern is a 64-bit mask; ISA-L itself allows 255).
    public init(k: Int, m: Int, maximumPacket: Int) {
        precondition(k >= 1 && m >= 1 && k + m <= 64, "erasure block \(k)+\(m)")
        precondition(maximumPacket >= 1 && maximumPacket <= 65535)
        self.k = k
        self.m = m
        self.maximumPacket = maximumPacket
        let n = k + m
        let stride = (maximumPacket + 2 + 63) & ~63
        storage = .allocate(byteCount: stride * n, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: stride * n)
        shards = .allocate(capacity: n)
        for i in 0..<n { shards[i] = (storage + i * stride).assumingMemoryBound(to: UInt8.self) }
        scratchSources = .allocate(capacity: k)
        scratchOutputs = .allocate(capacity: m)
        generator = .allocate(capacity: n * k)
        gf_gen_cauchy1_matrix(generator, Int32(n), Int32(k))
        encodeTables = .allocate(capacity: 32 * k * m)
        ec_init_tables(Int32(k), Int32(m), generator + k * k, encodeTables)
        matrixScratch = .allocate(capacity: k * k)
        inverse = .allocate(capacity: k * k)
        decodeRows = .allocate(capacity: m * k)
    }

    deinit {
        storage.deallocate()
        shards.deallocate()
        scratchSources.deallocate()
        scratchOutputs.deallocate()
        generator.deallocate()
        encodeTables.deallocate()
        matrixScratch.deallocate()
        inverse.deallocate()
        decodeRows.deallocate()
        for entry in cache { entry.tables.deallocate() }
    }

    /// Empties the block for the next one.
    public func reset() {
        present = 0
        codedLength = 0
    }

    /// Puts packet `index` (0..<k) of `length` bytes into the block.
    public func setData(_ index: Int, _ packet: UnsafeRawPointer, length: Int) {
        precondition(index >= 0 && index < k && length <= maximumPacket)
        let shard = UnsafeMutableRawPointer(shards[index]!)
        shard.storeBytes(of: UInt8(length & 0xff), as: UInt8.self)
        shard.storeBytes(of: UInt8(length >> 8), toByteOffset: 1, as: UInt8.self)
        (shard + 2).copyMemory(from: packet, byteCount: length)
        // Zero the tail up to what the block may code (shards are reused across blocks).
        (shard + 2 + length).initializeMemory(as: UInt8.self, repeating: 0, count: maximumPacket - length)
        codedLength = max(codedLength, length + 2)
        present |= 1 << UInt64(index)
    }

    /// Computes the `m` parity shards over the data put in (missing data shards count as empty packets).
    public func encode() {
        for i in 0..<k where present & (1 << UInt64(i)) == 0 {
            UnsafeMutableRawPointer(shards[i]!).initializeMemory(as: UInt8.self, repeating: 0, count: shardCapacity)
        }
        if m == 1 {
            xor(into: shards[k]!, sources: shards, count: k, length: codedLength)
        } else {
            ec_encode_data(Int32(codedLength), Int32(k), Int32(m), encodeTables, shards, shards + k)
        }
        present |= ((1 << UInt64(m)) - 1) << UInt64(k)
    }

    /// Parity shard `index` (0..<m): `codedLength` bytes to send.
    public func parity(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: shards[k + index]!, count: codedLength)
    }

    /// Data packet `index` as put in or recovered.
    public func data(_ index: Int) -> UnsafeRawBufferPointer {
        let shard = UnsafeRawPointer(shards[index]!)
        let length = Int(shard.load(as: UInt8.self)) | Int(shard.load(fromByteOffset: 1, as: UInt8.self)) << 8
        return UnsafeRawBufferPointer(start: shard + 2, count: min(length, maximumPacket))
    }

    /// Receiver side: parity shard `index` arrived, `length` bytes (the block's coded length).
    public func setParity(_ index: Int, _ bytes: UnsafeRawPointer, length: Int) {
        precondition(index >= 0 && index < m && length <= shardCapacity)
        let shard = UnsafeMutableRawPointer(shards[k + index]!)
        shard.copyMemory(from: bytes, byteCount: length)
        shard.advanced(by: length).initializeMemory(as: UInt8.self, repeating: 0, count: shardCapacity - length)
        codedLength = max(codedLength, length)
        present |= 1 << UInt64(k + index)
    }

    /// The data shards missing from the block.
    public var missingData: UInt64 { ~present & ((1 << UInt64(k)) - 1) }

    /// Rebuilds every missing data shard from any `k` shards present; false when fewer than `k` are (nothing
    /// changes then). Recovered packets are read with `data(_:)`.
    @discardableResult
    public func recover() -> Bool {
        let missing = missingData
        guard missing != 0 else { return true }
        guard present.nonzeroBitCount >= k else { return false }
        let losses = missing.nonzeroBitCount
        if m == 1 {
            // One data shard missing and the parity present: it is the XOR of all the others.
            let lost = missing.trailingZeroBitCount
            var n = 0
            for i in 0...k where i != lost { scratchSources[n] = shards[i]; n += 1 }
            xor(into: shards[lost]!, sources: scratchSources, count: k, length: codedLength)
        } else {
            // The first k shards present are the sources; their generator rows, inverted, give the lost rows.
            var n = 0, i = 0
            while n < k {
                if present & (1 << UInt64(i)) != 0 { scratchSources[n] = shards[i]; n += 1 }
                i += 1
            }
            let pattern = present
            let tables = decodeTables(for: pattern, missing: missing)
            var out = 0
            for lost in 0..<k where missing & (1 << UInt64(lost)) != 0 { scratchOutputs[out] = shards[lost]; out += 1 }
            ec_encode_data(Int32(codedLength), Int32(k), Int32(losses), tables, scratchSources, scratchOutputs)
        }
        for lost in 0..<k where missing & (1 << UInt64(lost)) != 0 {
            // Bytes past the coded length are zero in every shard, so the rebuilt shard's are too.
            let shard = UnsafeMutableRawPointer(shards[lost]!)
            shard.advanced(by: codedLength).initializeMemory(as: UInt8.self, repeating: 0, count: shardCapacity - codedLength)
        }
        present |= missing
        return true
    }

    private func decodeTables(for pattern: UInt64, missing: UInt64) -> UnsafeMutablePointer<UInt8> {
        if let hit = cache.first(where: { $0.pattern == pattern }) { return hit.tables }
        var row = 0, i = 0
        while row < k {
            if pattern & (1 << UInt64(i)) != 0 {
                (matrixScratch + row * k).update(from: generator + i * k, count: k)
                row += 1
            }
            i += 1
        }
        let singular = gf_invert_matrix(matrixScratch, inverse, Int32(k))
        precondition(singular == 0, "a Cauchy submatrix is always invertible")
        var rows = 0
        for lost in 0..<k where missing & (1 << UInt64(lost)) != 0 {
            (decodeRows + rows * k).update(from: inverse + lost * k, count: k)
            rows += 1
        }
        let tables: UnsafeMutablePointer<UInt8>
        if cache.count < ErasureBlock.cacheSize {
            tables = .allocate(capacity: 32 * k * m)
            cache.append((pattern, tables))
        } else {
            tables = cache[cacheNext].tables
            cache[cacheNext].pattern = pattern
            cacheNext = (cacheNext + 1) % ErasureBlock.cacheSize
        }
        ec_init_tables(Int32(k), Int32(rows), decodeRows, tables)
        return tables
    }

    /// `destination = sources[0] ^ ... ^ sources[count-1]` over `length` bytes, a word at a time.
    private func xor(into destination: UnsafeMutablePointer<UInt8>, sources: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>,
                     count: Int, length: Int) {
        let words = (length + 7) / 8  // shards are 64-byte aligned and padded, so whole words are safe
        let d = UnsafeMutableRawPointer(destination).assumingMemoryBound(to: UInt64.self)
        let first = UnsafeRawPointer(sources[0]!).assumingMemoryBound(to: UInt64.self)
        d.update(from: first, count: words)
        for s in 1..<max(count, 1) {
            let p = UnsafeRawPointer(sources[s]!).assumingMemoryBound(to: UInt64.self)
            for w in 0..<words { d[w] ^= p[w] }
        }
    }
}
