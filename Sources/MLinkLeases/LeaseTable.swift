import MLinkTypes

/// A router's bindings and the allocation rules over them (sans-I/O: the caller passes `now` in Unix seconds,
/// persists when told to, and sends the answers).
///
/// Allocation for a key without a binding: the address the host says it holds (INIT-REBOOT) if it is free,
/// else the first free of 64 deterministic candidates, else the first free address scanning up from
/// candidate 0, else the binding in hold that expired longest ago (LRU), else a refusal (`pool-exhausted`).
/// A live binding is never taken from its key. Reservations always win for their own key.
public struct LeaseTable: Sendable {
    /// How many candidates are tried before the scan.
    public static let candidateAttempts: UInt32 = 64

    /// Whether and how soon a change must reach the lease file.
    public enum Persistence: Sendable, Equatable, Comparable {
        /// Nothing changed.
        case none
        /// Only an expiry moved (a renewal): write within the coalescing interval.
        case coalesced
        /// A binding was made, moved, released or declined: write before the answer leaves.
        case immediate
    }

    /// What a request, release or decline comes to.
    public struct Decision: Sendable, Equatable {
        /// The address now bound to the key, or nil for a refusal.
        public var address: IPAddress?
        /// The reason the ASSIGN carries.
        public var reason: AssignReason
        /// The key's previous address when it changed (the caller withdraws its route).
        public var previous: IPAddress?
        /// Whether the lease file must be written first.
        public var persistence: Persistence
    }

    /// The pool allocated from.
    public private(set) var pool: AddressPool
    /// Lease time in seconds.
    public var leaseSeconds: UInt64
    /// How long an expired binding stays reserved for its key (default 30 days).
    public var holdSeconds: UInt64 = 30 * 86_400
    /// How long a declined address is offered to nobody (1 hour).
    public var declineSeconds: UInt64 = 3600
    /// This router's name, recorded as the allocator of new bindings.
    public var allocator: String
    /// Refusals for lack of addresses since start.
    public private(set) var exhaustedRefusals: UInt64 = 0

    /// The slices other routers announced (router peer name -> slice; PROTOCOL.md §14.4).
    public internal(set) var peerSlices: [String: IPNetwork] = [:]
    /// Parts of the own slice that overlap another router's: no new lease from them (§14.4).
    public internal(set) var blocked: [IPNetwork] = []

    var byAddress: [IPAddress: Binding] = [:]
    var addressOfKey: [Key32: IPAddress] = [:]
    /// Addresses whose record this router changed by its own decision, not yet taken by `takeChanges`.
    var changed: Set<IPAddress> = []
    /// The largest `updated` of any record seen (the Lamport clock of §14.4).
    var highWater: UInt64 = 0

    /// An empty table.
    public init(pool: AddressPool, leaseSeconds: UInt64, allocator: String) {
        self.pool = pool; self.leaseSeconds = leaseSeconds; self.allocator = allocator
    }

    /// A table from the bindings of a lease file read at `now`.
    ///
    /// Bound bindings stay valid until `max(expires, now + lease)`, because renewals are written lazily and a
    /// restart must never cut a host short. A binding for a key outside `leaseKeys` (no longer a peer) moves
    /// to hold; one whose address the key may no longer use (now static, excluded, outside the slice) is
    /// dropped and the host re-addressed at its next request; a later binding for an address or key already
    /// seen is dropped.
    public init(pool: AddressPool, leaseSeconds: UInt64, allocator: String, loading bindings: [Binding],
                leaseKeys: Set<Key32>, now: UInt64) {
        self.init(pool: pool, leaseSeconds: leaseSeconds, allocator: allocator)
        for var binding in bindings {
            guard byAddress[binding.address] == nil else { continue }
            if binding.state == .declined {
                if binding.expires > now { insert(binding) }
                continue
            }
            // Another router's binding (synced, §14.4) is kept wherever the pool allows the address at all.
            let synced = binding.allocator != allocator && pool.mayHold(binding.address, for: binding.key)
            guard addressOfKey[binding.key] == nil, pool.mayLease(binding.address, to: binding.key) || synced
            else { continue }
            if !leaseKeys.contains(binding.key) {
                if binding.state == .bound { binding.state = .hold; binding.expires = min(binding.expires, now) }
            } else if binding.state == .bound {
                binding.expires = max(binding.expires, now + leaseSeconds)
            }
            insert(binding)
        }
    }

    /// Every binding, sorted by address.
    public var bindings: [Binding] { byAddress.values.sorted { $0.address < $1.address } }

    /// The binding of `key` (bound or hold), if any.
    public func binding(for key: Key32) -> Binding? { addressOfKey[key].flatMap { byAddress[$0] } }

    /// The binding of `address`, if any.
    public func binding(at address: IPAddress) -> Binding? { byAddress[address] }

    /// Assignable addresses without any binding.
    public var freeCount: Int {
        pool.assignableCount - byAddress.keys.reduce(0) { $0 + (pool.isAssignable($1) ? 1 : 0) }
    }

    /// How many bindings are in `state`.
    public func count(_ state: Binding.State) -> Int { byAddress.values.reduce(0) { $0 + ($1.state == state ? 1 : 0) } }

    /// Answers ADDRESS_REQUEST from `key`, which says it holds `holding` (nil or unspecified: nothing).
    public mutating func request(key: Key32, holding: IPAddress?, now: UInt64) -> Decision {
        let held = holding.flatMap { $0.isUnspecified ? nil : $0 }
        func reason(for address: IPAddress) -> AssignReason { held == nil || held == address ? .granted : .changed }

        // A host on several routers holds an address another router gave it (PROTOCOL.md §14.4, rules 1 and 3): the
        // key's record there (of any slice) becomes its binding, or a provisional one in another router's slice.
        if let held, !adoptSyncedRecord(key: key, at: held, now: now), !pool.allocate.contains(held),
           let provisional = provisionalGrant(key: key, at: held, now: now) {
            insert(provisional)
            return Decision(address: held, reason: .granted, previous: nil, persistence: .immediate)
        }
        if let existing = binding(for: key) {
            if mayKeep(existing) {
                var renewed = existing
                renewed.state = .bound
                renewed.expires = now + leaseSeconds
                stamp(&renewed, now: now)
                byAddress[existing.address] = renewed
                return Decision(address: existing.address, reason: reason(for: existing.address), previous: nil,
                                persistence: existing.state == .bound ? .coalesced : .immediate)
            }
            remove(existing.address)
        }
        let previous = held
        if let chosen = choose(for: key, holding: held, now: now) {
            var binding = Binding(address: chosen, key: key, state: .bound, expires: now + leaseSeconds, created: now,
                                  allocator: allocator)
            stamp(&binding, now: now)
            insert(binding)
            return Decision(address: chosen, reason: reason(for: chosen),
                            previous: previous == chosen ? nil : previous, persistence: .immediate)
        }
        exhaustedRefusals += 1
        return Decision(address: nil, reason: .poolExhausted, previous: previous, persistence: .none)
    }

    /// ADDRESS_RELEASE: `key` gives up `address`; the binding moves to hold. Releasing what the key does not
    /// hold changes nothing.
    public mutating func release(key: Key32, address: IPAddress, now: UInt64) -> Decision {
        guard var binding = binding(for: key), binding.address == address, binding.state == .bound else {
            return Decision(address: nil, reason: .released, previous: nil, persistence: .none)
        }
        binding.state = .hold
        binding.expires = now
        stamp(&binding, now: now)
        byAddress[address] = binding
        return Decision(address: nil, reason: .released, previous: address, persistence: .immediate)
    }

    /// ADDRESS_DECLINE: `key` refuses `address`. It is offered to nobody for `declineSeconds`, and the key gets
    /// a new address (reason `changed`) or a refusal. A reservation cannot be declined away: it stays.
    public mutating func decline(key: Key32, address: IPAddress, now: UInt64) -> Decision {
        guard let binding = binding(for: key), binding.address == address, pool.reservations[key] == nil else {
            return request(key: key, holding: nil, now: now)
        }
        var declined = Binding(address: address, key: key, state: .declined, expires: now + declineSeconds,
                               created: now, allocator: allocator)
        stamp(&declined, now: now)
        remove(address)
        byAddress[address] = declined
        var decision = request(key: key, holding: nil, now: now)
        if decision.address != nil { decision.reason = .changed }
        decision.previous = address
        decision.persistence = .immediate
        return decision
    }

    /// Moves bound bindings past their expiry to hold and forgets holds and declines past theirs; returns the
    /// keys whose lease just expired (the caller withdraws their routes).
    public mutating func expire(now: UInt64) -> (expired: [Binding], persistence: Persistence) {
        var expired: [Binding] = []
        var changed = false
        for (address, var binding) in byAddress {
            switch binding.state {
            case .bound where binding.expires <= now:
                binding.state = .hold
                byAddress[address] = binding
                expired.append(binding)
            case .hold where binding.expires + holdSeconds <= now:
                remove(address)
                changed = true
            case .declined where binding.expires <= now:
                remove(address)
                changed = true
            default:
                break
            }
        }
        return (expired, expired.isEmpty && !changed ? .none : .immediate)
    }

    /// The earliest time `expire(now:)` has something to do, or nil.
    public var nextExpiry: UInt64? {
        byAddress.values.map { binding -> UInt64 in
            switch binding.state {
            case .bound, .declined: binding.expires
            case .hold: binding.expires + holdSeconds
            }
        }.min()
    }

    // MARK: - Allocation

    private func isFree(_ address: IPAddress, for key: Key32) -> Bool {
        pool.mayLease(address, to: key) && byAddress[address] == nil
            && (blocked.isEmpty || pool.reservations[key] == address || !isBlocked(address))
    }

    private mutating func choose(for key: Key32, holding: IPAddress?, now: UInt64) -> IPAddress? {
        if let reserved = pool.reservations[key] {
            if let other = byAddress[reserved], other.key != key { remove(reserved) }
            return reserved
        }
        if let holding, isFree(holding, for: key) { return holding }
        for attempt in 0..<Self.candidateAttempts {
            let candidate = pool.candidate(for: key, attempt: attempt)
            if isFree(candidate, for: key) { return candidate }
        }
        let size = pool.size
        let start = LeaseCandidates.offset(key: key, attempt: 0, size: size)
        var step: UInt64 = 0
        while step < size {
            let candidate = pool.address(at: (start + step) % size)
            if isFree(candidate, for: key) { return candidate }
            step += 1
        }
        let oldestHold = byAddress.values.filter { $0.state == .hold && $0.key != key && pool.mayLease($0.address, to: key) }
            .min { ($0.expires, $0.address) < ($1.expires, $1.address) }
        if let oldestHold {
            remove(oldestHold.address)
            return oldestHold.address
        }
        return nil
    }

    mutating func insert(_ binding: Binding) {
        highWater = max(highWater, binding.updated)
        byAddress[binding.address] = binding
        if binding.state != .declined { addressOfKey[binding.key] = binding.address }
    }

    mutating func remove(_ address: IPAddress) {
        guard let binding = byAddress.removeValue(forKey: address) else { return }
        if binding.state != .declined, addressOfKey[binding.key] == address { addressOfKey[binding.key] = nil }
    }
}
