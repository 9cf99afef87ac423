import MLinkTypes

/// One row of a router's lease table: an address, the key it belongs to, and how long.
public struct Binding: Hashable, Sendable {
    /// The state of a binding.
    public enum State: String, Sendable, CaseIterable {
        /// In use: the host may use the address until `expires`.
        case bound
        /// Expired or released: kept for its key (the same host gets it back) until the hold ends or the pool
        /// needs it, least recently expired first.
        case hold
        /// A host refused the address: offered to nobody until `expires`.
        case declined
    }

    /// The leased address.
    public var address: IPAddress
    /// The host's public key.
    public var key: Key32
    /// Its state.
    public var state: State
    /// Unix seconds: end of the lease (bound), when it expired or was released (hold), end of the decline hold.
    public var expires: UInt64
    /// Unix seconds when the binding was first made.
    public var created: UInt64
    /// The router that made the binding: this router's profile name, or for a binding synced from another
    /// router (PROTOCOL.md §14.4) the name of the router peer whose slice holds it (or that sent it).
    public var allocator: String
    /// Unix milliseconds of the last change by any router (PROTOCOL.md §14.4); only grows. Decides merges.
    public var updated: UInt64
    /// Granted by a router outside its own slice and not yet confirmed by the slice's router (§14.4).
    public var provisional: Bool

    /// A binding; `updated` defaults to `created` in milliseconds.
    public init(address: IPAddress, key: Key32, state: State, expires: UInt64, created: UInt64, allocator: String,
                updated: UInt64? = nil, provisional: Bool = false) {
        self.address = address; self.key = key; self.state = state; self.expires = expires
        self.created = created; self.allocator = allocator
        self.updated = updated ?? created &* 1000
        self.provisional = provisional
    }
}
