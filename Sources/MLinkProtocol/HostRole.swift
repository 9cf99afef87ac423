import MLinkTypes

/// What only a host keeps: the router's resolved endpoints, from which it makes one connection per local link and
/// endpoint (the router learns its side of each from the host's packets). A host initiates and rekeys the session,
/// and probes every connection.
final class HostRole {
    /// The router's resolved endpoints.
    var routerEndpoints: [SocketAddress] = []

    /// Makes `router`'s connections from the link at `slot` match the endpoints. Connections that still make sense
    /// keep their path id, state and counters: a DNS answer in another order, or one more endpoint, must not reset
    /// every path.
    func rebuildConnections(of router: Peer, slot: Int, name: String, local: SocketAddress) {
        router.connections.removeAll {
            $0.slot == slot && ($0.local != local || (!routerEndpoints.contains($0.remote) && $0.pathID & 0xff != 0xff))
        }
        for endpoint in routerEndpoints where endpoint.address.isIPv6 == local.address.isIPv6 {
            guard !router.connections.contains(where: { $0.slot == slot && $0.remote == endpoint }) else { continue }
            var pathID = UInt16(truncatingIfNeeded: slot) << 8
            while router.connections.contains(where: { $0.pathID == pathID }) && pathID & 0xff < 0xfe { pathID &+= 1 }
            router.connections.append(Connection(slot: slot, linkName: name, local: local, remote: endpoint, pathID: pathID))
        }
    }
}
