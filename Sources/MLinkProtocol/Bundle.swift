import MLinkTypes

/// The bundle: a peer's connections, how copies are chosen among them and how they are learned.
extension Peer {
    /// Chooses the copies of the next packet: one connection per host-side link (ours on a host, the peer's on a
    /// router), the best one that has ever been heard from; then the links' roles and the mode decide which of
    /// those carry it. Fills `plan` with connection indices; its capacity is reserved, so this allocates nothing.
    ///
    /// - `never` links carry nothing.
    /// - redundant: every link, except that backups carry copies only while no primary or secondary link is up
    ///   (or degraded); with `copies` > 0, only that many, the best first (live, then role, then RTT).
    /// - failover: one copy, on the best live link of the highest role (`Peer+Failover.swift` keeps it there
    ///   until a better one has been clean for a while).
    @inline(__always)
    func selectCopies(into plan: inout [Int], isRouter: Bool, mode: BundleMode = .redundant, copies: Int = 0) {
        plan.removeAll(keepingCapacity: true)
        for i in connections.indices where connections[i].lastReceived != 0 {
            let group = connections[i].group(isRouter: isRouter)
            if hasLinkPolicies && linkPolicies[Int(group & 0xff)].role == .never { continue }
            var placed = false
            for p in plan.indices where connections[plan[p]].group(isRouter: isRouter) == group {
                if connections[i].isBetter(than: connections[plan[p]]) { plan[p] = i }
                placed = true
                break
            }
            if !placed { plan.append(i) }
        }
        guard plan.count > 1, hasLinkPolicies || mode == .failover || copies > 0 else { return }
        // (A single candidate is the best link by definition, whatever its role.)
        // Rank in place (insertion sort: a handful of links).
        for i in 1..<plan.count {
            let candidate = plan[i]
            var j = i
            while j > 0 && ranksAbove(candidate, plan[j - 1], isRouter: isRouter) {
                plan[j] = plan[j - 1]
                j -= 1
            }
            plan[j] = candidate
        }
        if mode == .failover {
            failoverCopies(into: &plan, isRouter: isRouter)
            return
        }
        // A backup joins only while no better link is live; the ranking put live non-backups first.
        if connections[plan[0]].state.isLive && policy(of: plan[0], isRouter: isRouter).role < .backup {
            while let last = plan.last, policy(of: last, isRouter: isRouter).role == .backup { plan.removeLast() }
        }
        if copies > 0 && plan.count > copies { plan.removeSubrange(copies...) }
    }

    /// The policy of connection `c`'s host-side link.
    @inline(__always)
    func policy(of c: Int, isRouter: Bool) -> LinkPolicy {
        linkPolicies[Int(connections[c].group(isRouter: isRouter) & 0xff)]
    }

    /// True when connection `a` should carry copies before `b`: live first, then the better role, then the
    /// better connection.
    @inline(__always)
    func ranksAbove(_ a: Int, _ b: Int, isRouter: Bool) -> Bool {
        let liveA = connections[a].state.isLive, liveB = connections[b].state.isLive
        if liveA != liveB { return liveA }
        let roleA = policy(of: a, isRouter: isRouter).role, roleB = policy(of: b, isRouter: isRouter).role
        if roleA != roleB { return roleA < roleB }
        return connections[a].isBetter(than: connections[b])
    }

    /// Router side: the connection of (our link `slot`, the host's path `remotePathID`), created when new (at most
    /// `limit` per peer) and moved to `source` when the host's address changed (NAT rebinding, roaming).
    func learnedConnection(slot: Int, source: SocketAddress, remotePathID: UInt16, now: UInt64, mayLearn: Bool,
                           link: @autoclosure () -> (name: String, local: SocketAddress), limit: Int) -> Int? {
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
        let link = link()
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
                            link: @autoclosure () -> (name: String, local: SocketAddress)) -> Int? {
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
        let link = link()
        var connection = Connection(slot: slot, linkName: link.name, local: link.local, remote: source, pathID: learnedID)
        connection.remotePathID = remotePathID
        connections.append(connection)
        return connections.count - 1
    }
}

extension Connection.State {
    /// Up or degraded: the path delivers.
    @inline(__always)
    var isLive: Bool { self == .up || self == .degraded }
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
