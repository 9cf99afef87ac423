import MLinkConfig
import MLinkProtocol
import MLinkTypes

/// Several routers (issue 16): the engine's peers from the profile, each knowing its role and whether we dial it.
extension ForwardingCore {
    /// A host: one peer per router (`router` first, then `routers`), each dialled; a router: its peers, dialling
    /// the router peers whose key is higher than ours. Throws the profile error of a router peer we must dial but
    /// cannot (no endpoints).
    static func enginePeers(for profile: Profile) throws -> [PeerConfiguration] {
        if profile.role == .host {
            // What a router may send us from: the virtual network and the routes behind it.
            let virtualNetwork = IPNetwork(address: profile.interface.address.address,
                                           prefixLength: profile.interface.address.prefixLength)!.masked
            return profile.allRouters.map { router in
                var peer = PeerConfiguration(name: router.name, publicKey: router.publicKey,
                                             allowedIPs: [virtualNetwork] + router.routes,
                                             presharedKey: router.presharedKey)
                peer.isRouter = true
                peer.dials = true
                peer.preference = router.preference
                return peer
            }
        }
        let ownKey = TunnelEngine.publicKey(for: profile.privateKey)
        if let problem = profile.routerPeerProblem(ownPublicKey: ownKey) { throw problem }
        return profile.peers.map {
            var peer = PeerConfiguration(name: $0.name, publicKey: $0.publicKey, allowedIPs: $0.allowedIPs,
                                         presharedKey: $0.presharedKey)
            peer.isRouter = $0.role == .router
            peer.dials = peer.isRouter && Profile.dials(own: ownKey, peer: $0.publicKey)
            return peer
        }
    }

    /// The endpoints of every peer we dial, by engine peer index (a host: every router; a router: the router
    /// peers it dials).
    static func dialledEndpoints(for profile: Profile, peers: [PeerConfiguration]) -> [Int: [Endpoint]] {
        var result: [Int: [Endpoint]] = [:]
        if profile.role == .host {
            for (index, router) in profile.allRouters.enumerated() { result[index] = router.endpoints }
        } else {
            for (index, peer) in profile.peers.enumerated() where index < peers.count && peers[index].dials {
                result[index] = peer.endpoints
            }
        }
        return result
    }
}
