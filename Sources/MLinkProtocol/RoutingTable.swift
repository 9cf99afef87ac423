import MLinkTypes

/// Longest-prefix match from inner destination to peer, over the peers' allowed-ips and dynamic prefixes.
///
/// A sorted linear scan: virtual networks have tens of prefixes, where a scan over a contiguous array beats a
/// trie on cache behaviour. Revisit with a trie when profiles grow to thousands of routes.
struct RoutingTable {
    private var entries: [(network: IPNetwork, peer: Int)] = []

    init(peers: [Peer]) {
        for (index, peer) in peers.enumerated() {
            for network in peer.acceptedSources { entries.append((network.masked, index)) }
        }
        entries.sort { $0.network.prefixLength > $1.network.prefixLength }
    }

    /// The peer owning the longest prefix that contains `address`, or nil.
    @inline(__always)
    func lookup(_ address: IPAddress) -> Int? {
        for entry in entries where entry.network.contains(address) { return entry.peer }
        return nil
    }
}
