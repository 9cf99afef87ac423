/// Address leases in `show --json` (`leases`): on a router the pool and its table, like `ip neigh` lists
/// neighbours; on a host with `address: auto` its lease and timers (`host`). Times are seconds from the report.
public struct LeaseReport: Codable, Equatable, Sendable {
    /// Router: `address-pool.prefix`, or nil on a host.
    public var pool: String?
    /// Router: `address-pool.allocate`.
    public var allocate: String?
    /// Router: assignable addresses without any binding.
    public var free = 0
    /// Router: bindings per state.
    public var bound = 0
    public var hold = 0
    public var declined = 0
    /// Router: requests refused because no address was left (`pool-exhausted`).
    public var exhaustedRefusals: UInt64 = 0
    /// Malformed lease messages received (also counted in the peer's `control_malformed`).
    public var malformed: UInt64 = 0
    /// Lease file writes that failed (a router then does not answer; the host asks again).
    public var writeFailures: UInt64 = 0
    /// Router: every binding, by address.
    public var table: [LeaseEntry] = []
    /// Host: its lease, or nil on a router.
    public var host: HostLeaseReport?
    /// Router: replication with its router peers (LeaseSyncReport.swift), or nil without any.
    public var sync: LeaseSyncReport?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case pool, allocate, free, bound, hold, declined, malformed, table, host, sync
        case exhaustedRefusals = "exhausted_refusals", writeFailures = "write_failures"
    }
}

/// One binding of a router's lease table.
public struct LeaseEntry: Codable, Equatable, Sendable {
    /// The leased address.
    public var address: String
    /// The peer's name (or "-" for a key no longer among the peers).
    public var peer: String
    /// The peer's public key.
    public var publicKey: String
    /// bound, hold or declined.
    public var state: String
    /// Seconds until the lease ends (bound), since it expired (hold, negative), until the decline hold ends.
    public var expiresIn: Double
    /// The router that made the binding.
    public var allocator: String
    /// The router peer the binding came from (PROTOCOL.md §14.4), nil for this router's own.
    public var synced: String?
    /// True for a binding granted outside its router's slice and not yet confirmed by the slice's router.
    public var provisional: Bool?

    public init(address: String, peer: String, publicKey: String, state: String, expiresIn: Double, allocator: String) {
        self.address = address; self.peer = peer; self.publicKey = publicKey; self.state = state
        self.expiresIn = expiresIn; self.allocator = allocator
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case address, peer, state, allocator, synced, provisional
        case publicKey = "public_key", expiresIn = "expires_in"
    }
}

/// A host's lease.
public struct HostLeaseReport: Codable, Equatable, Sendable {
    /// The leased address with its on-link prefix length, or nil while the host has none.
    public var address: String?
    /// Seconds until renew (T1), rebind (T2) and expiry; nil without a lease.
    public var renewIn: Double?
    public var rebindIn: Double?
    public var expiresIn: Double?
    /// Seconds from the core's start until the first lease (or the saved lease) was configured.
    public var obtainedAfterStart: Double?
    /// Why the router last refused (pool-exhausted, no-pool), or nil.
    public var lastRefusal: String?
    /// ASSIGNs from the router applied since the core started (grants, renewals and refusals alike).
    public var answers = 0
    /// A host on several routers: whether each accepts its address (LeaseSyncReport.swift); empty with one.
    public var routers: [HostRouterLeaseReport] = []

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case address, routers, answers
        case renewIn = "renew_in", rebindIn = "rebind_in", expiresIn = "expires_in"
        case obtainedAfterStart = "obtained_after_start", lastRefusal = "last_refusal"
    }
}
