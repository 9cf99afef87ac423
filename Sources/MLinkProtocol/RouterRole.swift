import MLinkTypes

/// What only a router keeps: the mac1 key of initiations addressed to it, the cache that answers a repeated
/// initiation without a second Diffie-Hellman, the handshake rate limits, and the routes from inner destination
/// to peer. A router answers handshakes, learns its connections from authentic packets and forwards between
/// peers; it sends no probes of its own.
final class RouterRole {
    /// The mac1 key for initiations addressed to us.
    let mac1Key: Key32
    /// Initiator ephemeral key -> peer whose cached response answers it.
    var initiationCache: [Key32: Int] = [:]
    var rateLimiter = HandshakeRateLimiter()
    /// Longest prefix from inner destination to peer, over the peers' allowed-ips.
    var routes: RoutingTable
    /// How many connections one peer may make us learn.
    let maximumConnectionsPerPeer: Int

    init(configuration: EngineConfiguration, peers: [Peer]) {
        mac1Key = HandshakeMessages.mac1Key(responder: configuration.publicKey)
        routes = RoutingTable(peers: peers)
        maximumConnectionsPerPeer = configuration.maximumConnectionsPerPeer
    }
}
