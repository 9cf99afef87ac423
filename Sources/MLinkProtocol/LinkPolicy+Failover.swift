/// Failover mode: which host-side link carries a peer's data, decided in the timer tick so the data path only
/// reads the decision.
///
/// - The active link is the best healthy link of the highest role: healthy = up and not overdue (no reply
///   missing, silence within the interval plus a reply time).
/// - Takeover: the active link stops being healthy and another is healthy: switch at once (the next tick, within
///   5 ms of the decision).
/// - Failback: a link of a better role than the active one has been up without a break for the hold time:
///   switch back. The first choice of a bundle is provisional: until the first takeover, a better-role link that
///   becomes healthy is taken at once (whichever path answered first after the handshake, often the backup,
///   would otherwise carry the data for the whole hold time).
/// - A send error (the kernel refused a datagram for the path: ENETUNREACH, ENODEV, EPERM...) makes the path
///   unhealthy until something arrives on it more than a round trip after the failure: the next tick takes
///   over and replays the tail, and failback waits the hold from the failure. The hold is `revertAfter`, doubled for every further takeover in the last `flapWindow` (at
///   most 16x), so a flapping link is held at a lower rank (flap damping).
/// - Make-before-break: after every switch, the previous link keeps a copy for `switchOverlap`, so packets in
///   flight on a wrong guess, or on the first moments of a new path, still arrive.
public struct FailoverState: Equatable, Sendable {
    /// The host-side link number carrying data (-1: none chosen yet).
    public internal(set) var active = -1
    /// The link that keeps a copy until `overlapUntil` (-1: none).
    public internal(set) var overlap = -1
    var overlapUntil: UInt64 = 0
    /// Switches so far, and when the recent takeovers (switches away from a failing link) happened (damping).
    public internal(set) var switches: UInt64 = 0
    var recentTakeovers: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    /// When the active link last changed.
    public internal(set) var since: UInt64 = 0
    /// True from the first choice until the first takeover: no link has failed under us yet, so a better role
    /// needs no hold.
    public internal(set) var provisional = false

    public static func == (a: FailoverState, b: FailoverState) -> Bool {
        a.active == b.active && a.overlap == b.overlap && a.switches == b.switches && a.since == b.since
    }

    /// Takeovers within `window` before `now`.
    func recentTakeovers(now: UInt64, window: UInt64) -> Int {
        let t = recentTakeovers
        var count = 0
        for time in [t.0, t.1, t.2, t.3, t.4] where time != 0 && now &- time < window { count += 1 }
        return count
    }

    mutating func record(switchTo link: Int, from previous: Int, now: UInt64, overlap duration: UInt64, takeover: Bool) {
        if takeover {
            let t = recentTakeovers
            recentTakeovers = (now, t.0, t.1, t.2, t.3)
        }
        provisional = previous < 0 || (provisional && !takeover)
        overlap = previous
        overlapUntil = previous >= 0 ? now + duration : 0
        active = link
        since = now
        switches += 1
    }
}

extension TunnelEngine {
    /// Re-decides the peer's active link (failover mode), once per tick.
    func updateFailover(_ peer: Peer, peerIndex: Int, now: UInt64, into out: OutboundBatch) {
        if peer.failover.overlap >= 0 && now >= peer.failover.overlapUntil { peer.failover.overlap = -1 }
        var best = -1, activeHealthy = false, activeRole = LinkPolicy.Role.never
        var why = FailoverReason.notUp, from = -1  // the active link's first unhealthy connection and why
        for c in peer.connections.indices where peer.connections[c].lastReceived != 0 {
            let link = Int(peer.connections[c].group(isRouter: !peer.dials) & 0xff)
            let role = peer.linkPolicies[link].role
            guard role != .never else { continue }
            if let reason = unhealthiness(peer.connections[c], dialled: peer.dials, now: now) {
                if link == peer.failover.active && from < 0 { (why, from) = (reason, c) }
                continue
            }
            if link == peer.failover.active {
                activeHealthy = true
                activeRole = role
            }
            if best < 0 || peer.ranksAbove(c, best, isRouter: !peer.dials) { best = c }
        }
        guard best >= 0 else { return }  // nothing healthy: keep what we have (selectCopies falls back to ranking)
        // A router follows the host: downstream data goes where the host's newest data came from, when that path
        // is healthy (the host's takeover and failback decide for both directions). Once per host switch: for
        // `switchOverlap` after one the host keeps a copy on the link it left, and where that link is the slower
        // its copies arrive after the new link's, so "newest" alternated from tick to tick (the lab's router
        // switched 16-20 times per failback; LinkPolicyTests+Follow). A follow waits twice the overlap after the
        // previous one, unless the link it follows from is no longer healthy.
        if !peer.dials, let followed = hostDataConnection(peer, now: now) {
            let link = Int(peer.connections[followed].group(isRouter: true) & 0xff)
            let previous = peer.failover.active
            let settled = previous < 0 || !activeHealthy || now &- peer.failover.since >= 2 * configuration.switchOverlap
            if link != previous && settled {
                peer.failover.record(switchTo: link, from: previous, now: now, overlap: configuration.switchOverlap,
                                     takeover: false)
                record(.failoverSwitched(peer: peerIndex, from: connection(of: previous, in: peer), to: followed,
                                         reason: .followHost))
                // The host left a link that went silent (its takeover): what we sent there lately, the answers to
                // its last packets and to the ones it replayed before this tick, is replayed on the new link.
                if previous >= 0 && hostLeft(peer, link: previous, now: now) {
                    replay(peer, peerIndex: peerIndex, onto: followed, link: link, now: now, into: out)
                }
            }
            return
        }
        let bestLink = Int(peer.connections[best].group(isRouter: !peer.dials) & 0xff)
        guard bestLink != peer.failover.active else { return }
        let previous = peer.failover.active
        if !activeHealthy {
            peer.failover.record(switchTo: bestLink, from: previous, now: now, overlap: configuration.switchOverlap,
                                 takeover: previous >= 0)
            record(.failoverSwitched(peer: peerIndex, from: from >= 0 ? from : connection(of: previous, in: peer), to: best,
                                     reason: previous >= 0 ? why : .first))
            if previous >= 0 { replay(peer, peerIndex: peerIndex, onto: best, link: bestLink, now: now, into: out) }
            return
        }
        // Failback only to a better role, and only once it has been up for the (damped) hold time.
        let bestRole = peer.linkPolicies[bestLink].role
        guard bestRole < activeRole else { return }
        let flaps = max(1, peer.failover.recentTakeovers(now: now, window: configuration.flapWindow)) - 1
        let hold = peer.failover.provisional ? 0 : configuration.revertAfter << UInt64(min(flaps, 4))
        let clean = max(peer.connections[best].stateChanged, peer.connections[best].cleanSince)
        guard peer.connections[best].state == .up, now &- clean >= hold else { return }
        let provisional = peer.failover.provisional
        peer.failover.record(switchTo: bestLink, from: previous, now: now, overlap: configuration.switchOverlap,
                             takeover: false)
        record(.failoverSwitched(peer: peerIndex, from: connection(of: previous, in: peer), to: best,
                                 reason: provisional ? .first : .failback))
    }

    /// The first connection of `peer` on host-side link `link` (-1: none), for the switch events.
    private func connection(of link: Int, in peer: Peer) -> Int {
        guard link >= 0 else { return -1 }
        return peer.connections.firstIndex { Int($0.group(isRouter: !peer.dials) & 0xff) == link } ?? -1
    }

    /// Up, no reply missing, and not silent beyond its probe interval plus a reply time (a host's view; a
    /// router uses the interval the host announces).
    @inline(__always)
    func isHealthy(_ connection: Connection, dialled: Bool, now: UInt64) -> Bool {
        unhealthiness(connection, dialled: dialled, now: now) == nil
    }

    /// Why `connection` is not healthy (`isHealthy`), or nil when it is.
    func unhealthiness(_ connection: Connection, dialled: Bool, now: UInt64) -> FailoverReason? {
        // Degraded is not dead: a probe reply a little late (or a little loss) makes a path degraded for a tick,
        // and taking that for a failure moved the bench's healthy bundle to the backup before its stream started
        // (then held it 10 s). The checks below judge late replies and silence themselves; loss towards the peer
        // is the NACK burst's.
        guard connection.state == .up || connection.state == .degraded else { return .notUp }
        // The other end reported the path silent, and nothing arrived since.
        if connection.alarmedAt != 0 && connection.alarmedAt >= connection.lastReceived { return .silenceAlarm }
        // The other end NACKed a burst of what the path carried (TunnelEngine+Feedback.swift).
        if connection.feedback.burstUntil > now { return .nackBurst }
        let statistics = connection.statistics
        // A send on it failed, and nothing sent after the failure has been answered (what was already on its
        // way here does not count).
        if connection.sendFailedAt != 0 && connection.lastReceived <= connection.sendFailedAt + statistics.smoothedRTT {
            return .sendError
        }
        if !dialled {
            let replyTime = statistics.smoothedRTT + 4 * statistics.rttVariation + 10_000_000
            let interval = statistics.peerProbeInterval > 0 ? statistics.peerProbeInterval : configuration.maximumProbeInterval
            return now &- connection.lastReceived <= interval + replyTime ? nil : .silent
        }
        var replyTime = statistics.smoothedRTT + 4 * statistics.rttVariation + max(10_000_000, probeInterval(of: connection) / 4)
        // Unmeasured (the first probes after the handshake): how long a reply takes is not known yet, and taking a
        // 20 ms path for dead after 25 ms made the lab's host take over to its backup at start (then hold it 10 s).
        if statistics.smoothedRTT == 0 { replyTime = max(replyTime, configuration.maximumProbeInterval) }
        // A late probe reply alone is not a dead path while authentic packets keep arriving on it (a loaded
        // machine answers late now and then): it counts once the path has also been silent for a reply time.
        // And one reply is not enough where replies are all the path carries to us (idle, or a one-way stream
        // up: the peer's PATH_SILENT is the fast signal there): one 100 ms late on the loaded lab machine moved
        // the bench's idle bundle to the backup as its stream began; the next probe's missing reply counts.
        if missingReplies(connection, replyTime: replyTime, now: now) >= 2, awaitedSilence(connection, now: now) > replyTime {
            return .replyMissing
        }
        let interval = max(connection.probeIntervalInEffect, connection.livenessInterval)
        return awaitedSilence(connection, now: now) <= interval + replyTime ? nil : .silent
    }
}

/// Why failover mode moved a peer's data (`TunnelEngine.Event.failoverSwitched`, in the daemon's log).
public enum FailoverReason: String, Equatable, Sendable {
    /// The first link chosen for the bundle, or a better role while that choice is provisional.
    case first = "first choice"
    /// Takeovers: why the active link stopped being healthy.
    case notUp = "link not up"
    case silenceAlarm = "PATH_SILENT from the peer"
    case nackBurst = "NACK burst"
    case sendError = "send error"
    case replyMissing = "probe reply missing and silent"
    case silent = "silent beyond its probe interval"
    /// Back to a better role after its clean hold.
    case failback = "failback after the clean hold"
    /// A router following its host's newest data.
    case followHost = "following the host"
}

extension Peer {
    /// Failover mode's copies: the best connection of the active link, plus one of the overlapping link while
    /// it lasts; the best-ranked connection when no link is active yet. `plan` holds the ranked candidates.
    @inline(__always)
    func failoverCopies(into plan: inout [Int], isRouter: Bool) {
        var active = -1, overlap = -1
        for p in plan.indices {
            let link = Int(connections[plan[p]].group(isRouter: isRouter) & 0xff)
            if link == failover.active && active < 0 { active = plan[p] }
            if link == failover.overlap && overlap < 0 { overlap = plan[p] }
        }
        let first = active >= 0 ? active : plan[0]
        plan.removeAll(keepingCapacity: true)
        plan.append(first)
        if overlap >= 0 && overlap != first { plan.append(overlap) }
    }
}

extension TunnelEngine {
    /// Keeps the datagram just sealed at `sealed` for a replay (the ring is made on first use).
    @inline(__always)
    func keepForReplay(_ sealed: UnsafeRawPointer, length: Int, peer: Peer, now: UInt64, repairable: Bool = false,
                       policy: Int = -1) {
        if peer.replayRing == nil { peer.replayRing = ReplayRing(slotSize: 2048) }
        var mask: UInt64 = 0
        for p in copyPlan.indices { mask |= 1 << UInt64(peer.connections[copyPlan[p]].group(isRouter: !peer.dials) & 63) }
        peer.replayRing!.store(sealed, length: length, session: peer.session!.remoteIndex, linkMask: mask, now: now,
                               repairable: repairable, policy: policy)
    }
}

extension TunnelEngine {
    /// Router: true when the host's data stopped on `link` (silent for PATH_SILENT's threshold) or none of its
    /// connections is healthy: a move away from it is the host's takeover, not a failback (where the
    /// make-before-break copies keep arriving on the old link).
    func hostLeft(_ peer: Peer, link: Int, now: UInt64) -> Bool {
        for c in peer.connections.indices where Int(peer.connections[c].group(isRouter: true) & 0xff) == link {
            let connection = peer.connections[c]
            guard isHealthy(connection, dialled: false, now: now) else { continue }
            let silence = TunnelEngine.silenceThreshold(connection)
            if connection.lastDataReceived != 0 && now &- connection.lastDataReceived <= silence { return false }
        }
        return true
    }

    /// Router: the healthy connection the host's newest data arrived on within the last second, if any.
    func hostDataConnection(_ peer: Peer, now: UInt64) -> Int? {
        var newest = -1
        for c in peer.connections.indices where peer.connections[c].lastDataReceived != 0
            && now &- peer.connections[c].lastDataReceived < 1_000_000_000 {
            if newest < 0 || peer.connections[c].lastDataReceived > peer.connections[newest].lastDataReceived { newest = c }
        }
        guard newest >= 0, isHealthy(peer.connections[newest], dialled: peer.dials, now: now),
              peer.linkPolicies[Int(peer.connections[newest].group(isRouter: true) & 0xff)].role != .never else { return nil }
        return newest
    }
}

extension TunnelEngine {
    /// A datagram for connection `c` of `peer` failed to leave (`completeTransmission`): the path is not healthy
    /// until an answer arrives (failover takes over at the next tick), and it is not clean from then.
    @inline(__always)
    func noteSendFailure(peer: Peer, connection c: Int) {
        let at = max(peer.connections[c].lastSent, 1)
        peer.connections[c].sendFailedAt = at
        peer.connections[c].cleanSince = at
    }
}
