/// Pairings learnt, not probed forever (docs/PROTOCOL.md section 6): a host makes a connection from every link to
/// every router endpoint of its address family, and some of those can never work (the seed lab's enp0s3, on
/// net0, towards the router's net1 address). Such a path used to stay `probing` with 100% loss forever and cost
/// a probe (or an initiation) every 100 ms. Once it has never answered for `unreachableAfter` while another path
/// to the same peer has, it is `unreachable` and probed every `unreachableProbeInterval`; its first answer makes it
/// `up` at once (`Connection.markReceived`). While no path of the peer has answered (the router is not there
/// yet, or restarting) nothing is marked: the host keeps looking at the full rate.
extension Connection {
    /// Silence, since the timers first saw the path, after which a never-answering path is unreachable: 10 s is
    /// two rekey timeouts of initiations and about 100 probes at the fastest rate, far beyond any slow link's
    /// first round trip.
    static let unreachableAfter: UInt64 = 10_000_000_000
    /// How often an unreachable path is still tried (a probe, or the pending initiation): at most one per 5 s,
    /// the idle-probing rate glorytun and Peplink use, so a pairing that becomes possible is found within 5 s.
    static let unreachableProbeInterval: UInt64 = 5_000_000_000
}

extension TunnelEngine {
    /// Host: marks the peer's never-answered connections unreachable once another of its connections answered.
    func markUnreachable(_ peer: Peer, now: UInt64) {
        let anyAnswered = peer.connections.contains { $0.lastReceived != 0 }
        for c in peer.connections.indices where peer.connections[c].lastReceived == 0 {
            if peer.connections[c].unansweredSince == 0 { peer.connections[c].unansweredSince = now }
            guard anyAnswered, peer.connections[c].state == .probing,
                  now &- peer.connections[c].unansweredSince >= Connection.unreachableAfter else { continue }
            peer.connections[c].state = .unreachable
            peer.connections[c].stateChanged = now
        }
    }
}
