import MLinkTypes

/// What only a host keeps: which of its routers carries its traffic now (TunnelEngine+Routers.swift). Every peer
/// of a host is a router it dials: the host makes one connection per local link and endpoint of each (the router
/// learns its side of each from the host's packets), initiates and rekeys each session, and probes every
/// connection.
final class HostRole {
    /// The router outbound packets go to (an index into the engine's peers).
    var current = 0
    /// False until a router was first chosen because it was live.
    var chosen = false
    /// How often `current` changed after the first choice, and when it last did (monotonic ns; 0: never).
    var switches: UInt64 = 0
    var lastSwitch: UInt64 = 0

    /// Makes `peer`'s connections from the link at `slot` match its endpoints (any peer we dial: a host's router,
    /// or a router peer a router dials). Connections that still make sense keep their path id, state and counters:
    /// a DNS answer in another order, or one more endpoint, must not reset every path.
    static func rebuildConnections(of peer: Peer, slot: Int, name: String, local: SocketAddress) {
        let endpoints = peer.endpoints
        peer.connections.removeAll {
            $0.slot == slot && ($0.local != local || (!endpoints.contains($0.remote) && $0.pathID & 0xff != 0xff))
        }
        for endpoint in endpoints where endpoint.address.isIPv6 == local.address.isIPv6 {
            guard !peer.connections.contains(where: { $0.slot == slot && $0.remote == endpoint }) else { continue }
            var pathID = UInt16(truncatingIfNeeded: slot) << 8
            while peer.connections.contains(where: { $0.pathID == pathID }) && pathID & 0xff < 0xfe { pathID &+= 1 }
            peer.connections.append(Connection(slot: slot, linkName: name, local: local, remote: endpoint, pathID: pathID))
        }
    }
}
