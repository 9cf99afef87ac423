import MLinkTypes

/// A bounded table of the flows an engine sends: preallocated, no allocation per packet, idle entries reused.
///
/// Each key lives in a window of `window` slots starting at its hash: a lookup scans at most that window; an insert
/// takes the first slot that is free or idle past `idleTimeout`, else evicts the window's least recently seen
/// entry (counted). No tombstones, no rehash. The hash is keyed with a per-table seed so that chosen 5-tuples
/// cannot pile into one window.
public final class FlowTable {
    public let capacity: Int
    public let window = 8
    /// Entries idle this long are free again (ns; qosify uses 30 s).
    public let idleTimeout: UInt64
    public private(set) var entries: [FlowState]
    private var inUse: [Bool]
    private let mask: Int
    private let seed: UInt64
    /// Live entries evicted to make room (the table is too small for the flows seen).
    public private(set) var evictions: UInt64 = 0

    /// `capacity` is rounded up to a power of two.
    public init(capacity: Int = 4096, idleTimeout: UInt64 = 30_000_000_000, seed: UInt64) {
        var size = 16
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.idleTimeout = idleTimeout
        mask = size - 1
        self.seed = seed
        let empty = FlowState(key: FlowKey(source: IPAddress(ipv4: 0), destination: IPAddress(ipv4: 0),
                                           sourcePort: 0, destinationPort: 0, proto: 0))
        entries = [FlowState](repeating: empty, count: size)
        inUse = [Bool](repeating: false, count: size)
    }

    /// Records the inner packet of `length` bytes at `packet` and reclassifies its flow; returns the flow's slot,
    /// or nil when the packet is not IP.
    @discardableResult
    public func observe(_ packet: UnsafeRawPointer, length: Int, now: UInt64) -> Int? {
        guard let headers = PacketHeaders.parse(packet, length: length) else { return nil }
        let slot = slot(for: headers.key, now: now)
        FlowClassifier.observe(&entries[slot], headers: headers, packet: packet, length: length, now: now)
        return slot
    }

    /// The live flows (for `show`; allocates).
    public func activeFlows(now: UInt64) -> [FlowState] {
        (0..<capacity).compactMap { isLive($0, now: now) ? entries[$0] : nil }
    }

    /// How many flows are live.
    public func liveCount(now: UInt64) -> Int {
        (0..<capacity).reduce(0) { $0 + (isLive($1, now: now) ? 1 : 0) }
    }

    @inline(__always)
    private func isLive(_ slot: Int, now: UInt64) -> Bool {
        inUse[slot] && now &- entries[slot].lastSeen < idleTimeout
    }

    private func slot(for key: FlowKey, now: UInt64) -> Int {
        let start = Int(truncatingIfNeeded: hash(key)) & mask
        var free: Int? = nil
        var oldest = start
        for step in 0..<window {
            let i = (start + step) & mask
            if inUse[i] {
                if entries[i].key == key {
                    if now &- entries[i].lastSeen >= idleTimeout { reset(i, key: key) }  // a new flow on an old tuple
                    return i
                }
                if free == nil, now &- entries[i].lastSeen >= idleTimeout { free = i }
                if entries[i].lastSeen < entries[oldest].lastSeen { oldest = i }
            } else if free == nil {
                free = i
            }
        }
        if let free {
            reset(free, key: key)
            return free
        }
        evictions += 1
        reset(oldest, key: key)
        return oldest
    }

    /// Changes entry `slot` in place (the rule and plan caches).
    public func updateEntry(_ slot: Int, _ change: (inout FlowState) -> Void) { change(&entries[slot]) }

    private func reset(_ i: Int, key: FlowKey) {
        entries[i] = FlowState(key: key)
        inUse[i] = true
    }

    /// A keyed mix of the 5-tuple (splitmix64 finalizer rounds over the words).
    @inline(__always)
    private func hash(_ key: FlowKey) -> UInt64 {
        var h = seed
        @inline(__always) func mix(_ v: UInt64) {
            h ^= v
            h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
            h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
            h ^= h >> 31
        }
        mix(key.source.high ^ key.source.low.rotateLeft(17))
        mix(key.destination.high ^ key.destination.low.rotateLeft(29))
        mix(UInt64(key.sourcePort) << 32 | UInt64(key.destinationPort) << 8 | UInt64(key.proto))
        return h
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotateLeft(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}
