import MLinkTypes

/// Timers: connection states, handshakes and probes. The daemon calls `tick` often (every few ms); it writes the
/// control datagrams due now into a preallocated batch.
///
/// Connection states (thresholds in PROTOCOL.md section 6), from the silence since the last authentic packet
/// on the path, with I = the path's probe interval and M = SRTT + 4 RTTVAR + max(10 ms, I/4) (the time a reply
/// may take, plus slack for the timers that send probes a little late):
///   up        silence <= I + M, and recent loss <= `degradedLoss`
///   degraded  one expected reply missing (silence > I + M), or recent loss above `degradedLoss`
///   down      `missedProbesForDown` expected replies missing: silence > n x I + M
/// A router, which sends no probes, uses the interval the host announces and M = I (RTT and jitter it takes from
/// the host, which reports them in its probes).
/// In redundant mode nothing waits for these states: every copy goes out regardless. They order the choice of
/// connection per link, and they are what `show` and the metrics report.
extension TunnelEngine {
    /// Advances timers and writes the control datagrams due now (probes, initiations) into `out`, which the caller
    /// sends and hands to `completeTransmission`. A datagram that finds `out` full waits for the next tick.
    public func tick(now: UInt64, into out: OutboundBatch) {
        tickGap = lastTickAt == 0 ? 0 : now &- lastTickAt
        lastTickAt = now
        silenceDue = .max  // reportSilentPaths sets it again
        for peerIndex in peers.indices where peers[peerIndex].paritySender != nil {
            closeDueParityBlocks(of: peerIndex, now: now)
        }
        if let hostState, peers.count > 1 { updateRouterChoice(hostState, now: now) }  // TunnelEngine+Routers.swift
        flushControl(now: now, into: out)
        flushStaged(into: out, now: now)
        for (peerIndex, peer) in peers.enumerated() {
            if peer.dials { updateProbeIntervals(peer, now: now) }
            updateStates(peer, now: now)
            if (peer.modeOverride ?? configuration.mode) == .failover || usesFailover {
                updateFailover(peer, peerIndex: peerIndex, now: now, into: out)
            }
            if usesAdaptive { updateAdaptive(peer, peerIndex: peerIndex, now: now, into: out) }
            if peer.stripes != nil || peer.reorder != nil { updateAggregate(peer, now: now) }
            reportSilentPaths(peer, peerIndex: peerIndex, now: now, into: out)
            sendFeedback(peer, peerIndex: peerIndex, now: now, into: out)
            announceLinkRoles(peer, peerIndex: peerIndex, now: now)
            noteBundleState(of: peerIndex)
            if !peer.dials {
                peer.connections.removeAll { now &- $0.lastReceived > configuration.forgetAfter }
                if let old = peer.previousSession, now &- old.established > configuration.rejectAfterTime {
                    sessions.remove(old.localIndex)
                    peer.previousSession = nil
                }
                continue
            }
            // A path learned from an unexpected router address is forgotten when it falls silent.
            peer.connections.removeAll { $0.pathID & 0xff == 0xff && now &- $0.lastReceived > configuration.forgetAfter }
            if needsHandshake(peer, now: now) {
                if peer.pending == nil || now &- peer.pending!.started > configuration.rekeyTimeout {
                    startHandshake(with: peer, now: now)
                }
            } else {
                peer.pending = nil
            }
            let canProbe = peer.session.map { isUsable($0, now: now) } ?? false
            let initiating = peer.pending != nil
            // A probe is due after its interval, or at once when the interval grew beyond what the last one
            // announced (the router would otherwise expect the next one at the old, faster rate).
            for c in peer.connections.indices where now &- peer.connections[c].lastProbe >= peer.connections[c].probeIntervalInEffect
                || (peer.connections[c].announcedInterval != 0
                    && peer.connections[c].probeIntervalInEffect > peer.connections[c].announcedInterval) {
                if peer.hasLinkPolicies && peer.linkPolicies[Int(peer.connections[c].pathID >> 8)].role == .never { continue }
                if !initiating && !(peer.stripes?.isStriping(now: now) ?? false) && dataStandsInForProbe(peer.connections[c], interval: peer.connections[c].probeIntervalInEffect,
                                                        now: now) { continue }
                let needed = (canProbe ? 1 : 0) + (initiating ? 1 : 0)
                guard out.hasRoom(datagrams: needed, buffers: needed) else { return }
                peer.connections[c].probeLateness = probeLateness(peer.connections[c], now: now)
                peer.connections[c].lastProbe = now
                let slot = peer.connections[c].slot, remote = peer.connections[c].remote
                if canProbe {
                    let buffer = out.takeBuffer()
                    let length = writeProbe(kind: .request, echo: now, compact: probesCompactly(peer.connections[c], now: now),
                                            peer: peer, connection: c, into: buffer, now: now)
                    peer.connections[c].statistics.probesSent += 1
                    peer.connections[c].probesSinceReceived &+= 1
                    out.append(buffer, length: length, slot: slot, destination: remote, peer: peerIndex, connection: c,
                               pathID: peer.connections[c].pathID)
                }
                if let initiation = peer.pending?.message {
                    let buffer = out.takeBuffer()
                    initiation.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                    LE.put(buffer, 2, peer.connections[c].pathID)
                    stampCookie(buffer, connection: peer.connections[c], now: now)
                    peer.connections[c].statistics.recordTransmit(.control, bytes: initiation.count)
                    out.append(buffer, length: initiation.count, slot: slot, destination: remote, peer: peerIndex,
                               connection: c, pathID: peer.connections[c].pathID)
                }
            }
        }
    }

    /// Moves each heard-from connection between up, degraded and down by its silence and recent loss.
    func updateStates(_ peer: Peer, now: UInt64) {
        if peer.dials { markUnreachable(peer, now: now) }
        for c in peer.connections.indices where peer.connections[c].lastReceived != 0 {
            let connection = peer.connections[c]
            let interval: UInt64, margin: UInt64
            var missing: UInt32 = 0
            if !peer.dials {
                interval = connection.statistics.peerProbeInterval > 0 ? connection.statistics.peerProbeInterval
                                                                        : configuration.maximumProbeInterval
                margin = interval
            } else {
                // Silence is judged at the rate in effect when the path was last heard (LinkPolicy+Probing.swift);
                // missing replies to the probes sent since then count at any rate.
                let scaled = probeInterval(of: connection)
                interval = max(connection.probeIntervalInEffect, connection.livenessInterval, scaled)
                let replyTime = connection.statistics.smoothedRTT + 4 * connection.statistics.rttVariation
                    + max(10_000_000, scaled / 4)
                margin = replyTime + (interval - scaled) / 4
                missing = missingReplies(connection, replyTime: replyTime, now: now)
            }
            // A host's own lateness (a stall, a late tick) is not the path's silence (`awaitedSilence`).
            let silence = peer.dials ? awaitedSilence(connection, now: now) : now &- connection.lastReceived
            let state: Connection.State
            if silence > UInt64(configuration.missedProbesForDown) * interval + margin
                || missing >= UInt32(configuration.missedProbesForDown) {
                state = .down
            } else if silence > interval + margin || missing >= 1
                        || connection.statistics.recentLoss > configuration.degradedLoss {
                state = .degraded
            } else {
                state = .up
            }
            if state != connection.state {
                peer.connections[c].state = state
                peer.connections[c].stateChanged = now
            }
        }
    }
}
