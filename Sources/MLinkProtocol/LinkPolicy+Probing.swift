/// Cheap idle, fast busy (issue 14): how often a host probes a connection, from what it carries.
///
/// - busy (a flow on the path within `idleAfter`, or data sent and not answered yet: `isBusy`): the RTT-scaled interval of
///   `probeInterval(of:)`, for detection in well under a second; while data flows both ways the data itself
///   proves the path alive to both ends, so a due probe is skipped until `busyProbeInterval` (RTT samples only);
/// - idle, or a standby carrying no data, once the path is up and measured: `standbyProbeInterval`;
///   a cold backup (metered backup link): `coldProbeInterval` (the keepalive);
/// - a path that never answered, on a link that has another path up: `unansweredPathProbeInterval` (60 s);
/// - a path not up (probing, degraded, down) or not yet measured: the RTT-scaled interval, so an idle bundle
///   notices a dead link as fast as a busy one once it misses a probe, and finds a returning one at once.
/// A router sends no probes; it times its liveness decisions by the interval each request announces.
extension TunnelEngine {
    /// The interval connection `c` of `peer` is probed at, `now`.
    func currentProbeInterval(peer: Peer, connection c: Int, now: UInt64) -> UInt64 {
        let connection = peer.connections[c]
        let scaled = probeInterval(of: connection)
        // A path that never answered, on a link with another path that is up (the router's address on another
        // net, say): the link works, this endpoint does not answer on it; try it once a minute (or at the
        // standby rate, when slower).
        if connection.lastReceived == 0 && !isBusy(connection, now: now)
            && peer.connections.contains(where: { $0.slot == connection.slot && $0.state == .up }) {
            return max(configuration.unansweredPathProbeInterval, configuration.standbyProbeInterval, scaled)
        }
        guard connection.state == .up, connection.statistics.smoothedRTT > 0, !isBusy(connection, now: now) else {
            return scaled
        }
        let policy = peer.linkPolicies[Int(connection.group(isRouter: !peer.dials) & 0xff)]
        // A host whose prefixes others route to keeps its primaries probed fast (the router's failover needs it).
        if configuration.fastIdleProbing && policy.role < .backup { return scaled }
        let idle = policy.isCold ? max(configuration.coldProbeInterval, configuration.standbyProbeInterval)
                                 : configuration.standbyProbeInterval
        return max(idle, scaled)
    }

    /// True when the path carries a flow: within `idleAfter`, data went both ways, or two data packets went one
    /// way; or data was sent that nothing has answered yet (the first packet of a new flow: the path is probed
    /// at once, so a dead link is found within a reply time).
    ///
    /// One stray packet (a kernel's IPv6 router solicitation or MLD report on an idle TUN) is not a flow: it
    /// costs the probe it owes and the one announcing the slow rate again, not `idleAfter` of fast probes
    /// (which made an idle link cost 29 MB a day in the seed lab, and a standby about a probe a second).
    @inline(__always)
    func isBusy(_ connection: Connection, now: UInt64) -> Bool {
        carriesFlow(connection, now: now) || owesAnswer(connection, now: now)
    }

    /// Data both ways, or two data packets one way, within `idleAfter`.
    @inline(__always)
    func carriesFlow(_ connection: Connection, now: UInt64) -> Bool {
        let window = configuration.idleAfter
        @inline(__always) func recent(_ t: UInt64) -> Bool { t != 0 && now &- t < window }
        let sent = recent(connection.lastDataSent), received = recent(connection.lastDataReceived)
        return (sent && received) || (sent && recent(connection.previousDataSent))
            || (received && recent(connection.previousDataReceived))
    }

    /// Data sent within `idleAfter` that nothing authentic has followed on the path yet.
    @inline(__always)
    func owesAnswer(_ connection: Connection, now: UInt64) -> Bool {
        connection.lastDataSent > connection.lastReceived && now &- connection.lastDataSent < configuration.idleAfter
    }

    /// The interval a request on `connection` announces: the one in effect, except that the probe a lone packet
    /// owes on an idle, measured path announces the idle rate it returns to once answered (a router judging the
    /// path at that rate a moment longer loses nothing, and no further probe is needed to slow it down again).
    @inline(__always)
    func announcedProbeInterval(_ connection: Connection, now: UInt64) -> UInt64 {
        let interval = max(connection.probeIntervalInEffect, probeInterval(of: connection))
        guard connection.state == .up, connection.statistics.smoothedRTT > 0, connection.announcedInterval > interval,
              !carriesFlow(connection, now: now) else { return interval }
        return connection.announcedInterval
    }

    /// True when a probe due now on `connection` (interval `interval`) may wait: data went both ways within the
    /// interval, which tells both ends the path works, and the last RTT sample is younger than
    /// `busyProbeInterval`. Never the probe that announces the idle rate a path slows down to once its flow
    /// ended: the data of the last `idleAfter` lies within the new interval, but the router still judges the
    /// path by the old, fast one (it found the primary silent 140 ms later and moved its data to the backup,
    /// whose copies then made the backup busy: issue 14's fast-probed standby).
    @inline(__always)
    func dataStandsInForProbe(_ connection: Connection, interval: UInt64, now: UInt64) -> Bool {
        !(connection.announcedInterval != 0 && interval > connection.announcedInterval
            && interval > probeInterval(of: connection))
            && connection.state == .up && connection.lastDataSent != 0 && connection.lastDataReceived != 0
            && now &- connection.lastDataSent < interval && now &- connection.lastDataReceived < interval
            && now &- connection.lastProbe < configuration.busyProbeInterval
    }

    /// Re-chooses every connection's probe interval (a host, each tick).
    func updateProbeIntervals(_ peer: Peer, now: UInt64) {
        for c in peer.connections.indices {
            let interval = currentProbeInterval(peer: peer, connection: c, now: now)
            peer.connections[c].probeIntervalInEffect = interval
            // The slowest rate since the path was last heard is what its silence is judged by.
            peer.connections[c].livenessInterval = max(peer.connections[c].livenessInterval, interval)
        }
    }

    /// How many replies a host is missing on `connection`: probes sent since the last authentic packet, less the
    /// newest while its reply may still be on the way (`replyTime`).
    @inline(__always)
    func missingReplies(_ connection: Connection, replyTime: UInt64, now: UInt64) -> UInt32 {
        let pending = connection.probesSinceReceived
        guard pending > 0 else { return 0 }
        return now &- connection.lastProbe < replyTime ? pending - 1 : pending
    }

    /// How much later than due a probe on `connection` leaves `now`: past its interval since the last one, and
    /// no earlier than the previous tick could have sent it (a probe that data stood in for is not late).
    @inline(__always)
    func probeLateness(_ connection: Connection, now: UInt64) -> UInt64 {
        let due = connection.lastProbe &+ connection.probeIntervalInEffect
        guard connection.lastProbe != 0, now > due else { return 0 }
        return now - max(due, now &- min(tickGap, now))
    }

    /// The silence of `connection` (a host's) that the path is to blame for: since its last authentic packet,
    /// less this host's own lateness with the probe whose reply it awaits (sent late, or due and not sent yet
    /// because this tick comes late). A host that stalls longer than a probe interval sends its probe late, so
    /// the reply arrives late; counted from the last reply, that silence moved a healthy primary in failover
    /// mode to the backup (7 of 30 stalls in LinkPolicyTests+Stall). Counted from its own probe, the late
    /// probe's reply is missing only once it is later than a reply time after the probe.
    @inline(__always)
    func awaitedSilence(_ connection: Connection, now: UInt64) -> UInt64 {
        let silence = now &- connection.lastReceived
        var late = connection.lastProbe > connection.lastReceived ? connection.probeLateness : 0
        late = max(late, probeLateness(connection, now: now))
        return silence - min(late, silence)
    }
}

extension Peer {
    /// True while some connection is up or degraded: silence is then the idle rate's, not a lost session.
    var hasLivePath: Bool { connections.contains { $0.state.isLive } }
}
