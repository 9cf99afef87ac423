import MLinkTypes

/// Several routers (issue 16, docs/PROTOCOL.md section 5 rules 6-7 and section 14.2 PREFERRED).
///
/// A host dials every router it lists and keeps each session hot (probed like the one router of old); outbound
/// packets go to one of them, the current router. Once per tick the host re-decides:
///   - the current router stopped being live (no usable session, or no connection up or degraded): switch at once
///     to the best live router: the lowest preference, then the lowest smoothed RTT;
///   - a router with a strictly lower preference is live: switch to it when it was never live before (start-up:
///     whichever router answered first must not keep the traffic for a hold-down; not counted as a switch), or
///     once it has stayed live for `routerHoldDown` (`preempt-delay`) without interruption. A router whose bundle
///     or session drops meanwhile starts its wait again, so a flapping router never takes the traffic back;
///   - equal preferences never preempt: the RTT only breaks ties when a choice has to be made anyway.
/// After every switch, and whenever a router's session is new, each router with a usable session is told by
/// PREFERRED whether it is the current one (1) or not (0); a router records the byte per host (`preferred`).
extension TunnelEngine {
    /// Host: the index of the router outbound packets go to (nil on a router).
    public var currentRouter: Int? { hostState?.current }

    /// Host: how often the current router changed after the first choice, and when it last did (monotonic ns; 0:
    /// never).
    public var routerSwitches: UInt64 { hostState?.switches ?? 0 }
    public var lastRouterSwitch: UInt64 { hostState?.lastSwitch ?? 0 }

    /// True when `peer` has a usable session and at least one connection up or degraded.
    func routerIsLive(_ peer: Peer, now: UInt64) -> Bool {
        guard let session = peer.session, isUsable(session, now: now) else { return false }
        return peer.connections.contains { $0.state.isLive }
    }

    /// The smallest smoothed RTT among the peer's live connections (ns; `.max` without a sample).
    func bestRoundTrip(of peer: Peer) -> UInt64 {
        var best = UInt64.max
        for connection in peer.connections where connection.state.isLive && connection.statistics.smoothedRTT > 0 {
            best = min(best, connection.statistics.smoothedRTT)
        }
        return best
    }

    /// Host with several routers: keeps `liveSince`, re-decides the current router and sends PREFERRED where it is
    /// due. Run by `tick`.
    func updateRouterChoice(_ host: HostRole, now: UInt64) {
        var best = -1
        for (index, peer) in peers.enumerated() {
            let live = routerIsLive(peer, now: now)
            if !live { peer.liveSince = 0; continue }
            if peer.liveSince == 0 { peer.liveSince = now }
            if best < 0 || ranksAbove(peer, peers[best]) { best = index }
        }
        if best >= 0 && best != host.current {
            let current = peers[host.current]
            let candidate = peers[best]
            let currentLive = current.liveSince != 0
            // Leave a dead router at once; take a better one at start-up at once, a returning one after the hold.
            let better = candidate.preference < current.preference
            let firstTime = !candidate.wasLive
            let held = now &- candidate.liveSince >= configuration.routerHoldDown
            if !currentLive || !host.chosen || (better && (firstTime || held)) {
                // A better router's first appearance completes the start-up choice; it is no switch.
                switchRouter(host, to: best, now: now, counted: host.chosen && (!currentLive || !firstTime))
            }
        } else if best >= 0 && !host.chosen {
            host.chosen = true
        }
        for peer in peers where peer.liveSince != 0 { peer.wasLive = true }
        for index in peers.indices { sendPreferredIfDue(to: index, current: host.current, now: now) }
    }

    /// True when `a` is the better router to send through: lower preference, then lower RTT.
    private func ranksAbove(_ a: Peer, _ b: Peer) -> Bool {
        if a.preference != b.preference { return a.preference < b.preference }
        return bestRoundTrip(of: a) < bestRoundTrip(of: b)
    }

    private func switchRouter(_ host: HostRole, to index: Int, now: UInt64, counted: Bool) {
        if counted {
            host.switches += 1
            host.lastSwitch = now
        }
        host.chosen = true
        host.current = index
        record(.currentRouterChanged(peer: index))
    }

    /// Queues PREFERRED (full state) for router `index` when its byte changed or its session is new.
    private func sendPreferredIfDue(to index: Int, current: Int, now: UInt64) {
        let peer = peers[index]
        guard let session = peer.session, isUsable(session, now: now) else { return }
        let wanted = index == current ? 1 : 0
        guard peer.sentPreferred != wanted || peer.preferredSession != session.localIndex else { return }
        let body: [UInt8] = [UInt8(wanted)]
        guard (try? sendControl(to: index, kind: ControlKind.preferred, body: body, reliability: .fullState)) != nil else {
            return  // 16 messages wait for their ACK: the next tick tries again
        }
        peer.sentPreferred = wanted
        peer.preferredSession = session.localIndex
    }

    /// Router: records the PREFERRED byte host `peerIndex` sent (the daemon parsed it). Returns true when it changed.
    @discardableResult
    public func recordPreferred(_ isPreferred: Bool, from peerIndex: Int) -> Bool {
        let peer = peers[peerIndex]
        guard peer.preferred != isPreferred else { return false }
        peer.preferred = isPreferred
        return true
    }
}
