import MLinkConfig
import MLinkProtocol

extension MLinkCommand.Check {
    /// A router peer this router must dial (its key is higher) but cannot (no endpoints) is a profile error
    /// (FILE:LINE:COL: key), as `up` reports it; otherwise the lines saying who dials whom, and a host's other
    /// routers.
    static func checkRouters(_ profile: Profile) throws -> [String] {
        switch profile.role {
        case .host:
            return profile.routers.map { router in
                "router \(router.name): \(router.endpoints.map(\.description).joined(separator: ", ")) "
                    + "(virtual \(router.virtualIP), preference \(router.preference))"
            }
        case .router:
            let own = TunnelEngine.publicKey(for: profile.privateKey)
            if let problem = profile.routerPeerProblem(ownPublicKey: own) { throw problem }
            return profile.peers.filter { $0.role == .router }.map { peer in
                Profile.dials(own: own, peer: peer.publicKey)
                    ? "router peer \(peer.name): dialled at \(peer.endpoints.map(\.description).joined(separator: ", ")) (its key is higher)"
                    : "router peer \(peer.name): answered (it dials: its key is lower)"
            }
        }
    }
}
