/// Which peer a local session index belongs to: the receiver index of every transport message is looked up here.
///
/// Both roles keep it: a router for the current, previous and next session of every peer; a host for the current
/// and previous session of its router. An index leaves the table when its session is dropped, so a message
/// under a forgotten session is an unknown session, whatever the peer's fields still hold.
struct SessionTable {
    private var owners: [UInt32: Int] = [:]
    /// The last index `lookUp` found and its peer (-1: none): a batch of datagrams from one peer hashes once.
    private var recentIndex: UInt32 = 0
    private var recentPeer = -1

    /// The peer whose session has local index `index`, or nil.
    @inline(__always)
    func owner(of index: UInt32) -> Int? { owners[index] }

    /// `owner(of:)` for the receive path: remembers the last hit, so consecutive datagrams of one session skip
    /// the dictionary (its hashing was ~85 instructions per datagram in mlink-bench-engine).
    @inline(__always)
    mutating func lookUp(_ index: UInt32) -> Int? {
        if recentPeer >= 0 && recentIndex == index { return recentPeer }
        guard let peer = owners[index] else { return nil }
        recentIndex = index
        recentPeer = peer
        return peer
    }

    /// True when some session already uses `index`.
    func contains(_ index: UInt32) -> Bool { owners[index] != nil }

    /// Records that peer `peer` has a session with local index `index`.
    mutating func insert(_ index: UInt32, peer: Int) {
        owners[index] = peer
        recentPeer = -1
    }

    /// Forgets `index` (its session was dropped or replaced).
    mutating func remove(_ index: UInt32) {
        owners[index] = nil
        recentPeer = -1
    }
}
