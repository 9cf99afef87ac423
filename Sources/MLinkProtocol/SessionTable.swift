/// Which peer a local session index belongs to: the receiver index of every transport message is looked up here.
///
/// Both roles keep it: a router for the current, previous and next session of every peer; a host for the current
/// and previous session of its router. An index leaves the table when its session is dropped, so a message
/// under a forgotten session is an unknown session, whatever the peer's fields still hold.
struct SessionTable {
    private var owners: [UInt32: Int] = [:]

    /// The peer whose session has local index `index`, or nil.
    @inline(__always)
    func owner(of index: UInt32) -> Int? { owners[index] }

    /// True when some session already uses `index`.
    func contains(_ index: UInt32) -> Bool { owners[index] != nil }

    /// Records that peer `peer` has a session with local index `index`.
    mutating func insert(_ index: UInt32, peer: Int) { owners[index] = peer }

    /// Forgets `index` (its session was dropped or replaced).
    mutating func remove(_ index: UInt32) { owners[index] = nil }
}
