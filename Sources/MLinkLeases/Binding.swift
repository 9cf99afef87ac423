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
    /// The router (profile name) that made the binding.
    public var allocator: String

    public init(address: IPAddress, key: Key32, state: State, expires: UInt64, created: UInt64, allocator: String) {
        self.address = address; self.key = key; self.state = state; self.expires = expires
        self.created = created; self.allocator = allocator
    }
}
