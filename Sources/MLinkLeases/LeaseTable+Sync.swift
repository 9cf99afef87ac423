import MLinkTypes

/// Lease replication between routers (PROTOCOL.md §14.4): slices, the merge of a peer's records, provisional
/// grants in another router's slice, and the changes to send on.
extension LeaseTable {
    /// What a peer's slice announcement means for this router.
    public enum SliceCheck: Sendable, Equatable {
        /// Disjoint from this router's slice, inside its pool prefix.
        case disjoint
        /// One contains the other: neither router leases from `blocked` until fixed.
        case overlaps(own: IPNetwork, theirs: IPNetwork, blocked: IPNetwork)
        /// Not inside this router's pool prefix (another virtual network, or a misconfiguration).
        case outsidePool(IPNetwork)
    }

    /// What merging one record did.
    public struct MergeResult: Sendable, Equatable {
        /// The record kept at the address before the merge, if any.
        public var previous: Binding?
        /// The record kept at the address now, if any.
        public var current: Binding?
        /// The pool never allows this record here (rule 1): not stored.
        public var refused: Bool
        /// Two bound records of different keys met at one address.
        public var conflict: Bool
        /// A provisional record in this router's slice was confirmed (and is now a change to send).
        public var confirmed: Bool

        /// True when the table changed (the lease file must be written).
        public var changed: Bool { previous != current }
        /// The bound record of another key that the merge dropped, if any (its host must be re-addressed).
        public var displaced: Binding? {
            guard let previous, previous.state == .bound, current?.key != previous.key else { return nil }
            return previous
        }
    }

    /// A record whose `updated` is further ahead of this router's clock is refused (PROTOCOL.md §14.4).
    public static let maximumFutureMilliseconds: UInt64 = 86_400_000

    /// Records `slice` as router peer `name`'s and recomputes the blocked parts of the own slice.
    public mutating func noteSlice(_ slice: IPNetwork, of name: String) -> SliceCheck {
        let slice = slice.masked
        peerSlices[name] = slice
        blocked = peerSlices.values.compactMap { Self.overlap(pool.allocate, $0) }
        if !pool.prefix.contains(slice.address) || slice.prefixLength < pool.prefix.prefixLength {
            return .outsidePool(slice)
        }
        if let part = Self.overlap(pool.allocate, slice) { return .overlaps(own: pool.allocate, theirs: slice, blocked: part) }
        return .disjoint
    }

    /// Forgets router peer `name`'s slice (it is no longer a peer).
    public mutating func forgetSlice(of name: String) {
        peerSlices[name] = nil
        blocked = peerSlices.values.compactMap { Self.overlap(pool.allocate, $0) }
    }

    /// The records this router changed by its own decisions since the last call, sorted by address.
    public mutating func takeChanges() -> [Binding] {
        guard !changed.isEmpty else { return [] }
        let list = changed.sorted().compactMap { byAddress[$0] }
        changed.removeAll(keepingCapacity: true)
        return list
    }

    /// True when some change waits for `takeChanges`.
    public var hasChanges: Bool { !changed.isEmpty }

    /// The name of the router whose slice holds `address`: this router, a router peer, or nil.
    public func owner(of address: IPAddress) -> String? {
        if pool.allocate.contains(address) { return allocator }
        return peerSlices.first { $0.value.contains(address) }?.key
    }

    /// Merges one record that router peer `sender` sent (PROTOCOL.md §14.4, "Merge").
    public mutating func merge(_ incoming: Binding, from sender: String, now: UInt64) -> MergeResult {
        let address = incoming.address
        let previous = byAddress[address]
        // A record stamped far in the future would freeze the Lamport clock (every later change would lose).
        guard !address.isIPv6, pool.mayHold(address, for: incoming.key),
              incoming.updated <= now &* 1000 &+ Self.maximumFutureMilliseconds else {
            return MergeResult(previous: previous, current: previous, refused: true, conflict: false, confirmed: false)
        }
        var record = incoming
        record.allocator = owner(of: address) ?? sender
        highWater = max(highWater, record.updated)
        let conflict = previous.map { $0.key != record.key && $0.state == .bound && record.state == .bound } ?? false
        if let previous {
            guard Self.ranks(record, above: previous) else {
                return MergeResult(previous: previous, current: previous, refused: false, conflict: conflict,
                                   confirmed: false)
            }
            remove(address)
        }
        var confirmed = false
        if record.provisional, pool.allocate.contains(address) {
            record.provisional = false
            stamp(&record, now: now)
            confirmed = true
        }
        byAddress[address] = record
        // The key's binding is its bound record if it has one (a table lists its hold records too, in address order).
        if record.state == .declined {
            if addressOfKey[record.key] == address { addressOfKey[record.key] = nil }
        } else if let current = addressOfKey[record.key], let held = byAddress[current], current != address {
            if held.state != .bound && record.state == .bound { addressOfKey[record.key] = address }
        } else {
            addressOfKey[record.key] = address
        }
        return MergeResult(previous: previous, current: record, refused: false, conflict: conflict, confirmed: confirmed)
    }

    /// True when `a` wins over `b` at one address: without the provisional flag, then the larger `updated`,
    /// `expires`, state, then the lower key, then the earlier `created` (a total order, so merges converge).
    public static func ranks(_ a: Binding, above b: Binding) -> Bool {
        if a.provisional != b.provisional { return !a.provisional }
        if a.updated != b.updated { return a.updated > b.updated }
        if a.expires != b.expires { return a.expires > b.expires }
        if a.state != b.state { return a.state.wireValue > b.state.wireValue }
        if a.key != b.key { return a.key.bytes.lexicographicallyPrecedes(b.key.bytes) }
        return a.created < b.created
    }

    /// Key `key`'s candidate 0 in another router's `slice` (PROTOCOL.md §14.1's hash over that slice).
    public static func candidateZero(for key: Key32, in slice: IPNetwork) -> IPAddress {
        let size = UInt64(1) << UInt64(32 - slice.prefixLength)
        return IPAddress(ipv4: slice.masked.address.ipv4Value
                         &+ UInt32(truncatingIfNeeded: LeaseCandidates.offset(key: key, attempt: 0, size: size)))
    }

    // MARK: - Hooks of `request`

    /// Sets `binding.updated` for a change made here (the Lamport clock of §14.4) and marks it to be sent.
    mutating func stamp(_ binding: inout Binding, now: UInt64) {
        binding.updated = max(now &* 1000, highWater &+ 1)
        highWater = binding.updated
        changed.insert(binding.address)
    }

    /// True when `binding` may stay: its address is leasable here, or it is another router's binding at an
    /// address the pool allows at all.
    func mayKeep(_ binding: Binding) -> Bool {
        pool.mayLease(binding.address, to: binding.key)
            || (binding.allocator != allocator && pool.mayHold(binding.address, for: binding.key))
    }

    /// Rule 1: `key` holds `address`, for which this router has the key's record: the record becomes
    /// the key's binding, and the key's other binding moves to hold. True when the key's binding is `address`.
    mutating func adoptSyncedRecord(key: Key32, at address: IPAddress, now: UInt64) -> Bool {
        if addressOfKey[key] == address { return true }
        guard let record = byAddress[address], record.key == key, record.state != .declined, mayKeep(record) else {
            return false
        }
        holdCurrentBinding(of: key, now: now)
        addressOfKey[key] = address
        return true
    }

    /// Rule 3: `address` in a router peer's slice, without a record here, is `key`'s candidate 0 there: the
    /// provisional binding to grant, or nil.
    mutating func provisionalGrant(key: Key32, at address: IPAddress, now: UInt64) -> Binding? {
        guard byAddress[address] == nil, pool.reservations[key] == nil, pool.mayHold(address, for: key),
              let owner = peerSlices.first(where: { $0.value.contains(address) }),
              Self.candidateZero(for: key, in: owner.value) == address else { return nil }
        holdCurrentBinding(of: key, now: now)
        var binding = Binding(address: address, key: key, state: .bound, expires: now + leaseSeconds, created: now,
                              allocator: owner.key, provisional: true)
        stamp(&binding, now: now)
        return binding
    }

    /// Moves the key's current bound binding to hold (it takes another address).
    private mutating func holdCurrentBinding(of key: Key32, now: UInt64) {
        guard let current = addressOfKey[key], var binding = byAddress[current] else { return }
        addressOfKey[key] = nil
        guard binding.state == .bound else { return }
        binding.state = .hold
        binding.expires = now
        stamp(&binding, now: now)
        byAddress[current] = binding
    }

    func isBlocked(_ address: IPAddress) -> Bool { blocked.contains { $0.contains(address) } }

    /// The overlapping part of two prefixes (the longer one), or nil when disjoint.
    static func overlap(_ a: IPNetwork, _ b: IPNetwork) -> IPNetwork? {
        guard a.address.isIPv6 == b.address.isIPv6 else { return nil }
        if a.contains(b.address) && b.prefixLength >= a.prefixLength { return b }
        if b.contains(a.address) && a.prefixLength >= b.prefixLength { return a }
        return nil
    }
}

extension AddressPool {
    /// True when `address` may be any router's binding for `key`: its reservation, or (without one) an address
    /// of the pool prefix that is not excluded, static, the network or the broadcast address. Unlike `mayLease`
    /// it ignores which slice the address is in.
    public func mayHold(_ address: IPAddress, for key: Key32) -> Bool {
        if let reserved = reservations[key] { return reserved == address }
        return !address.isIPv6 && Self.isAssignable(address, prefix: prefix, excluded: excluded)
    }
}
