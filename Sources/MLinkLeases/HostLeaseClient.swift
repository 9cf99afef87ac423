import MLinkTypes

/// A host's side of the lease protocol (sans-I/O): what to ask, when, and what an answer changes.
///
/// The host asks on every new session (with the address it holds: INIT-REBOOT), at T1 (renew) and T2 (rebind;
/// with one router the same request again), 30 s after a refusal, and 10 s after an unanswered first request. It removes its address only at expiry
/// or when the router's full-state answer no longer lists it, never because the router is silent.
public struct HostLeaseClient: Sendable {
    /// How long after a refusal the host asks again (a freed address is then picked up).
    public static let retryAfterRefusalSeconds: UInt64 = 30
    /// How long a host without a lease waits for an answer before it asks again (the router may have been
    /// unable to write its lease file, and the framework's ACK ends the request's own retransmissions).
    public static let retryWithoutAnswerSeconds: UInt64 = 10

    /// What the caller does after an event.
    public struct Change: Sendable, Equatable {
        /// The address to remove from the TUN device, if any.
        public var remove: IPNetwork?
        /// The address to add to the TUN device, if any.
        public var add: IPNetwork?
        /// True when the lease file must be rewritten (or deleted, when there is no lease).
        public var persist: Bool

        public init(remove: IPNetwork?, add: IPNetwork?, persist: Bool) {
            self.remove = remove; self.add = add; self.persist = persist
        }

        public static let nothing = Change(remove: nil, add: nil, persist: false)
    }

    /// The lease held now, or nil.
    public private(set) var lease: HostLease?
    /// The reason of the last refusal, cleared by a grant.
    public private(set) var lastRefusal: AssignReason?
    /// Unix seconds of the next request the timers call for (T1, T2, retry), or nil.
    public private(set) var nextRequestAt: UInt64?

    /// A client that starts from a saved lease; an expired one is ignored.
    public init(saved: HostLease?, now: UInt64) {
        if let saved, saved.expires > now {
            lease = saved
            nextRequestAt = Self.nextTimer(of: saved, after: now)
        }
    }

    /// The request to send now (a new session, or a timer).
    public var request: AddressRequest {
        var items = AddressItems()
        _ = items.append(lease.map { AddressItem($0.address) } ?? .anyIPv4)
        return AddressRequest(items: items, isReboot: lease != nil)
    }

    /// Records that `request` was sent at `now`: without a lease, the host asks again if no answer comes.
    public mutating func noteRequestSent(now: UInt64) {
        guard lease == nil else { return }
        nextRequestAt = min(nextRequestAt ?? UInt64.max, now + Self.retryWithoutAnswerSeconds)
    }

    /// The release to send at `mlink down`, or nil when nothing is held.
    public var release: AddressRelease? {
        guard let lease else { return nil }
        var items = AddressItems()
        _ = items.append(AddressItem(lease.address))
        return AddressRelease(items: items)
    }

    /// Applies an ASSIGN from `router` received at `now`.
    public mutating func receive(_ assign: AddressAssign, now: UInt64, router: Key32) -> Change {
        let old = lease?.address
        guard let granted = HostLease(assign: assign, now: now, router: router) else {
            lastRefusal = assign.reason
            lease = nil
            nextRequestAt = assign.reason == .released ? nil : now + Self.retryAfterRefusalSeconds
            return Change(remove: old, add: nil, persist: old != nil)
        }
        lastRefusal = nil
        lease = granted
        nextRequestAt = Self.nextTimer(of: granted, after: now)
        if old == granted.address { return Change(remove: nil, add: nil, persist: true) }
        return Change(remove: old, add: granted.address, persist: true)
    }

    /// Refuses the lease just granted because `reason` (the router answers with another address): forgets it and
    /// returns the DECLINE to send, or nil without a lease.
    public mutating func decline(_ reason: DeclineReason, now: UInt64) -> AddressDecline? {
        guard let lease else { return nil }
        self.lease = nil
        nextRequestAt = now + Self.retryAfterRefusalSeconds
        return AddressDecline(item: AddressItem(lease.address), reason: reason)
    }

    /// Why `address` cannot be used on this host, given the addresses of its other interfaces (with their
    /// prefix lengths): configured there already, or inside one of their networks; nil when it can.
    public static func conflict(_ address: IPAddress, localAddresses: [IPNetwork]) -> DeclineReason? {
        if localAddresses.contains(where: { $0.address == address }) { return .inUseLocally }
        if localAddresses.contains(where: { $0.masked.contains(address) }) { return .insideLocalNetwork }
        return nil
    }

    /// Forgets the lease after a RELEASE was sent (`mlink down`); returns the address to remove.
    public mutating func released() -> IPNetwork? {
        defer { lease = nil; nextRequestAt = nil }
        return lease?.address
    }

    /// What the timers call for at `now`: a request to send (T1, T2, retry) and/or an expired address.
    public mutating func tick(now: UInt64) -> (sendRequest: Bool, change: Change) {
        if let lease, lease.expires <= now {
            self.lease = nil
            nextRequestAt = now + Self.retryAfterRefusalSeconds
            return (true, Change(remove: lease.address, add: nil, persist: true))
        }
        guard let due = nextRequestAt, due <= now else { return (false, .nothing) }
        nextRequestAt = lease.map { Self.nextTimer(of: $0, after: now) } ?? now + Self.retryAfterRefusalSeconds
        return (true, .nothing)
    }

    /// The first of T1, T2 and expiry after `now`.
    static func nextTimer(of lease: HostLease, after now: UInt64) -> UInt64 {
        [lease.renewAt, lease.rebindAt, lease.expires].first { $0 > now } ?? lease.expires
    }
}
