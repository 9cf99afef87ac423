import MLinkConfig
import MLinkTypes

// Placeholder until the mesh branch (peers[].role, peers[].endpoints) is merged: no peer is a router peer, so the
// import stays off. Removed by that merge.
enum TempRole { case host, router }

extension Profile.PeerSettings {
    var role: TempRole { .host }
    var endpoints: [Endpoint] { [] }
}
