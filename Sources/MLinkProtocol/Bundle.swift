import MLinkTypes

/// The bundle: a peer's connections, how copies are chosen among them and how they are learned.
extension Peer {
    /// Chooses the copies of the next packet: one connection per host-side link (ours on a host, the peer's on a
    /// router), the best one that has ever been heard from. Fills `plan` with connection indices; its capacity is
    /// reserved, so this allocates nothing.
    @inline(__always)
    func selectCopies(into plan: inout [Int], isRouter: Bool) {
        plan.removeAll(keepingCapacity: true)
        for i in connections.indices where connections[i].lastReceived != 0 {
            let group = connections[i].group(isRouter: isRouter)
            var placed = false
            for p in plan.indices where connections[plan[p]].group(isRouter: isRouter) == group {
                if connections[i].isBetter(than: connections[plan[p]]) { plan[p] = i }
                placed = true
                break
            }
            if !placed { plan.append(i) }
        }
    }

    /// Router side: the connection of (our link `slot`, the host's path `remotePathID`), created when new (at most
    /// `limit` per peer) and moved to `source` when the host's address changed (NAT rebinding, roaming).
    func learnedConnection(slot: Int, source: SocketAddress, remotePathID: UInt16, now: UInt64, mayLearn: Bool,
                           link: (name: String, local: SocketAddress), limit: Int) -> Int? {
        if let i = connections.firstIndex(where: { $0.slot == slot && $0.remotePathID == remotePathID }) {
            if connections[i].remote != source {
                guard mayLearn else { return nil }
                connections[i].remote = source
            }
            return i
        }
        guard mayLearn, connections.count < limit else { return nil }
        var pathID = UInt16(truncatingIfNeeded: slot) << 8
        while connections.contains(where: { $0.pathID == pathID }) { pathID &+= 1 }
        var connection = Connection(slot: slot, linkName: link.name, local: link.local, remote: source, pathID: pathID)
        connection.remotePathID = remotePathID
        connection.stateChanged = now
        connections.append(connection)
        return connections.count - 1
    }

    /// Host side: the connection to the router from `slot` to `source`. A reply from an address we did not send to
    /// (the router answered from another address of the same link) is followed on this link's one learned path,
    /// moved rather than added, so an on-path attacker re-sending from fresh addresses cannot make us probe a list
    /// of victims.
    func followedConnection(slot: Int, source: SocketAddress, remotePathID: UInt16, mayLearn: Bool,
                            link: (name: String, local: SocketAddress)) -> Int? {
        if let i = connections.firstIndex(where: { $0.slot == slot && $0.remote == source }) {
            connections[i].remotePathID = remotePathID
            return i
        }
        guard mayLearn else { return nil }
        let learnedID = UInt16(truncatingIfNeeded: slot) << 8 | 0xff
        if let i = connections.firstIndex(where: { $0.pathID == learnedID }) {
            connections[i].remote = source
            connections[i].remotePathID = remotePathID
            return i
        }
        var connection = Connection(slot: slot, linkName: link.name, local: link.local, remote: source, pathID: learnedID)
        connection.remotePathID = remotePathID
        connections.append(connection)
        return connections.count - 1
    }
}

extension Connection {
    /// Up beats degraded beats the rest; then the lower smoothed RTT; then the more recently heard.
    @inline(__always)
    func isBetter(than other: Connection) -> Bool {
        let rank = state == .up ? 2 : state == .degraded ? 1 : 0
        let otherRank = other.state == .up ? 2 : other.state == .degraded ? 1 : 0
        if rank != otherRank { return rank > otherRank }
        let a = statistics.smoothedRTT, b = other.statistics.smoothedRTT
        if a != 0 && b != 0 && a != b { return a < b }
        return lastReceived > other.lastReceived
    }
}
