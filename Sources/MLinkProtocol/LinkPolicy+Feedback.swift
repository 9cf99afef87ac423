import MLinkControl
import MLinkTypes

/// Receiver feedback and link-policy messages (PROTOCOL.md section 14.3), handled by the engine itself.
///
/// - PATH_SILENT (33): each end watches the data arriving on each connection; when a connection that carried a
///   steady stream falls silent for max(20 ms, 3 x its smoothed data gap, 2 x its peak gap), it says so once, on every other live
///   connection. The data sender then treats the path as unhealthy: in failover mode it takes over at once
///   and replays the recent packets on the new link (ReplayRing.swift); in adaptive mode it re-plans at once
///   (duplication and a replay, TunnelEngine+Policy.swift).
/// - LINK_ROLES (32): a host announces its links' roles and its mode; the router plans its copies to that host by
///   them.
extension TunnelEngine {
    static let pathSilentKind: UInt8 = 32 + 1
    static let linkRolesKind: UInt8 = 32
    static let pathSilentBodySize = 8
    /// The shortest silence worth an alarm (ns).
    static let minimumSilence: UInt64 = 20_000_000
    /// Silences longer than this are an idle path, not a cut (ns).
    static let maximumSilence: UInt64 = 2_000_000_000

    /// Folds a data arrival on connection `c` into its smoothed gap.
    @inline(__always)
    func noteDataArrival(peer: Peer, connection c: Int, now: UInt64) {
        let last = peer.connections[c].lastDataReceived
        guard last != 0, now > last else {
            if last == 0 { peer.connections[c].streamSince = now }
            return
        }
        let gap = now - last
        guard gap < TunnelEngine.maximumSilence else {
            // A new stream after an idle spell: its rate is learnt afresh.
            peer.connections[c].streamSince = now
            peer.connections[c].dataGap = 0
            peer.connections[c].dataGapPeak = 0
            peer.connections[c].dataGapPeakBefore = 0
            peer.connections[c].dataGapWindow = 0
            peer.connections[c].dataGapSamples = 0
            return
        }
        let smoothed = peer.connections[c].dataGap
        peer.connections[c].dataGap = smoothed == 0 ? gap : (7 * smoothed + gap) / 8
        // The peak: the largest gap of the last 16 to 32 (two windows of 16), so a pause within the stream is
        // forgotten after 32 packets (a peak that decayed slowly kept a 1.9 s pause for seconds).
        if peer.connections[c].dataGapWindow >= TunnelEngine.peakWindow {
            peer.connections[c].dataGapPeakBefore = peer.connections[c].dataGapPeak
            peer.connections[c].dataGapPeak = 0
            peer.connections[c].dataGapWindow = 0
        }
        peer.connections[c].dataGapPeak = max(peer.connections[c].dataGapPeak, gap)
        peer.connections[c].dataGapWindow += 1
        if peer.connections[c].dataGapSamples < UInt8.max { peer.connections[c].dataGapSamples += 1 }
    }

    /// How long connection `connection`'s data may pause before it is a silence: max(20 ms, 3 x the smoothed
    /// gap, 2 x the peak gap, the largest of the last 16 to 32 gaps). The peak matters for bursty streams: the bench's audio + video (10 packets per
    /// 40 ms, 8 of them back to back) has a smoothed gap of 4 ms but a 20 ms gap twice per 40 ms, so 3 x the
    /// mean alone (20 ms) alarmed on every late packet and moved the stream to the backup for the 10 s hold.
    @inline(__always)
    static func silenceThreshold(_ connection: Connection) -> UInt64 {
        max(minimumSilence, 3 * connection.dataGap, 2 * max(connection.dataGapPeak, connection.dataGapPeakBefore))
    }

    /// Gaps per window of the peak gap (two windows are remembered).
    static let peakWindow: UInt8 = 16

    /// Gaps measured before a stream counts as steady: a stream's first packets often leave back to back (a burst
    /// staged during the handshake, the first echoes), and a gap learnt from them would make the next ordinary
    /// pause look like a cut.
    static let steadyStreamGaps: UInt8 = 8
    /// And the time they must span: the bench's video frames are 8 packets back to back, so 8 gaps alone were
    /// one frame's, the threshold its 20 ms floor, and the audio packet 20 ms later, a little late, an alarm: the
    /// stream moved to the backup at its start and stayed there for the 10 s hold.
    static let steadyStreamSpan: UInt64 = 200_000_000

    /// Sends PATH_SILENT for every connection of `peer` whose data stopped, on its other live connections.
    func reportSilentPaths(_ peer: Peer, peerIndex: Int, now: UInt64, into out: OutboundBatch) {
        guard let session = peer.session, isUsable(session, now: now), peer.connections.count > 1 else { return }
        for c in peer.connections.indices {
            let connection = peer.connections[c]
            let last = connection.lastDataReceived
            guard last != 0, connection.dataGap > 0, connection.dataGapSamples >= TunnelEngine.steadyStreamGaps,
                  last &- connection.streamSince >= TunnelEngine.steadyStreamSpan,
                  connection.silenceReported != last else { continue }
            let silence = now &- last
            let threshold = TunnelEngine.silenceThreshold(connection)
            guard silence > threshold else {
                silenceDue = min(silenceDue, last &+ threshold &+ 1)  // the loop wakes for it (`checkSilence`)
                continue
            }
            guard silence < TunnelEngine.maximumSilence else { continue }
            // No second look: the daemon's loop reads its sockets before it ticks (ForwardingCore+EventLoop.swift),
            // so the silence a tick sees after this process stalled is the path's, not replies left unread.
            peer.connections[c].silenceReported = last
            record(.pathSilenceReported(peer: peerIndex, connection: c, silence: silence,
                                        threshold: threshold, tickGap: tickGap))
            let reportedPath = connection.remotePathID  // the id in the headers of the data that stopped
            for d in peer.connections.indices where d != c && peer.connections[d].state.isLive
                && peer.connections[d].group(isRouter: !peer.dials) != connection.group(isRouter: !peer.dials) {
                guard out.hasRoom(datagrams: 1, buffers: 1) else { return }
                let buffer = out.takeBuffer()
                let body = buffer + WireFormat.transportHeaderSize + ControlHeader.size
                LE.put(body, 0, reportedPath)
                LE.put(body, 2, UInt16(min(silence / 1_000_000, UInt64(UInt16.max))))
                LE.put(body, 4, connection.statistics.highestSequence)
                let length = sealControl(kind: TunnelEngine.pathSilentKind, bodyLength: TunnelEngine.pathSilentBodySize,
                                         peer: peer, connection: d, in: buffer, now: now)
                out.append(buffer, length: length, slot: peer.connections[d].slot, destination: peer.connections[d].remote,
                           peer: peerIndex, connection: d, pathID: peer.connections[d].pathID)
                peer.counters.silenceAlarmsSent += 1
            }
        }
    }

    /// Sends the PATH_SILENT alarms due now, between two ticks: the daemon's loop wakes for `silenceDue`, so a
    /// cut is alarmed when its silence crosses the threshold, not up to a tick (5 ms) later.
    public func checkSilence(now: UInt64, into out: OutboundBatch) {
        silenceDue = .max
        for (peerIndex, peer) in peers.enumerated() {
            reportSilentPaths(peer, peerIndex: peerIndex, now: now, into: out)
        }
    }

    /// Seals a control message whose body is already at `buffer + header + 8` onto connection `d` alone (its own
    /// counter); returns the datagram length.
    func sealControl(kind: UInt8, bodyLength: Int, peer: Peer, connection d: Int, in buffer: UnsafeMutableRawPointer,
                     now: UInt64) -> Int {
        peer.session!.sendCounter += 1
        TransportHeader(type: .control, pathID: peer.connections[d].pathID, receiverIndex: peer.session!.remoteIndex,
                        counter: peer.session!.sendCounter, pathSequence: peer.connections[d].nextSequence).write(to: buffer)
        let payloadLength = ControlHeader.size + bodyLength
        ControlHeader(kind: kind, flags: 0, bodyLength: bodyLength, seq: peer.control.takeSeq())
            .write(to: buffer + WireFormat.transportHeaderSize)
        peer.session!.seal(header: buffer, payloadLength: payloadLength)
        let length = WireFormat.transportOverhead + payloadLength
        peer.connections[d].recordSent(.control, bytes: length, now: now)
        peer.counters.controlSent += 1
        return length
    }

    /// Kinds 32-47 from `peerIndex` (body at `body`, `length` bytes, arrived on connection `arrival`): handled here.
    /// Returns the verdict for the daemon (always `.none`: nothing for it to do).
    func receiveLinkControl(kind: UInt8, body: UnsafeRawPointer, length: Int, from peerIndex: Int, on arrival: Int,
                            now: UInt64) -> Verdict {
        let peer = peers[peerIndex]
        switch kind {
        case TunnelEngine.pathSilentKind:
            guard length == TunnelEngine.pathSilentBodySize else {
                peer.counters.controlMalformed += 1
                return .none
            }
            let path = LE.u16(body, 0)
            let silence = UInt64(LE.u16(body, 2)) * 1_000_000
            peer.counters.silenceAlarmsReceived += 1
            guard let c = peer.connections.firstIndex(where: { $0.pathID == path }) else { return .none }
            // Still sending data into the path (within half the reported silence, which is at least 1.5 of the
            // stream's own gaps): a cut. Not sending: the stream ended, and the silence is just its end.
            guard peer.connections[c].lastDataSent != 0, now &- peer.connections[c].lastDataSent < silence / 2 else {
                return .none
            }
            // And the silence is the path's, not ours: the first data we sent into it after the last path sequence
            // the peer saw should have arrived before the peer wrote the alarm (one way there, one way back on
            // the alarm's path). Sent later, it was our own pause (the application's, or this process stalled
            // under load: the bench's sender paused for 60 ms now and then, and a healthy primary was left for
            // the 10 s hold); not sent at all, the same.
            if let ring = peer.replayRing {
                let seen = LE.u32(body, 4)
                guard let firstAfter = ring.firstSent(onPath: peer.connections[c].pathID, after: seen) else {
                    peer.counters.silenceAlarmsDismissed += 1
                    return .none
                }
                let there = peer.connections[c].statistics.smoothedRTT
                let back = arrival < peer.connections.count ? peer.connections[arrival].statistics.smoothedRTT : 0
                if there > 0 && back > 0 && now &- firstAfter < (there + back) / 2 {
                    peer.counters.silenceAlarmsDismissed += 1
                    return .none
                }
            }
            peer.connections[c].alarmedAt = now
            peer.connections[c].cleanSince = now
            if (peer.modeOverride ?? configuration.mode) == .failover || usesFailover {
                peer.failoverDue = true  // the takeover and its replay leave in this wake-up (flushControl)
                noteControlWork(peerIndex)
            }
            if usesAdaptive {
                peer.adaptiveDue = true  // the escalation and its replay too, not up to a tick (5 ms) later
                noteControlWork(peerIndex)
            }
            return .none
        case FeedbackMessage.kind:
            if !receiveFeedback(body, length: length, from: peerIndex, now: now) { peer.counters.controlMalformed += 1 }
            return .none
        case TunnelEngine.linkRolesKind where !peer.dials:
            if !applyLinkRoles(body, length: length, to: peer) { peer.counters.controlMalformed += 1 }
            return .none
        default:
            peer.counters.controlUnknown += 1
            return .none
        }
    }

    /// Applies a LINK_ROLES body to the router's view of `peer`; false when it is malformed (nothing changed).
    func applyLinkRoles(_ body: UnsafeRawPointer, length: Int, to peer: Peer) -> Bool {
        guard length >= 8 else { return false }
        let generation = LE.u32(body, 0)
        let bytes = body.assumingMemoryBound(to: UInt8.self)
        let mode = bytes[4], copies = bytes[5], count = Int(bytes[6])
        guard mode <= 1, bytes[7] == 0, count <= 64, length == 8 + 4 * count else { return false }
        var table = [LinkPolicy](repeating: .primary, count: 256)
        var seen = [Bool](repeating: false, count: 256)
        for i in 0..<count {
            let link = Int(bytes[8 + 4 * i]), role = bytes[9 + 4 * i], flags = bytes[10 + 4 * i]
            guard !seen[link], let value = LinkPolicy.Role(rawValue: role), flags & 0xfe == 0, bytes[11 + 4 * i] == 0 else {
                return false
            }
            seen[link] = true
            table[link] = LinkPolicy(role: value, metered: flags & 1 != 0)
        }
        let session = peer.session?.localIndex ?? 0
        guard peer.announcedRoles.session != session || generation > peer.announcedRoles.generation else { return true }
        peer.announcedRoles = (session, generation)
        for link in 0..<256 { peer.setLinkPolicy(table[link], link: link) }
        peer.modeOverride = mode == 1 ? .failover : .redundant
        peer.copiesOverride = Int(copies)
        return true
    }

    /// Host: sends LINK_ROLES when the session is new or the roles changed since the last announcement.
    func announceLinkRoles(_ peer: Peer, peerIndex: Int, now: UInt64) {
        guard peer.dials, let session = peer.session, isUsable(session, now: now) else { return }
        let differs = peer.hasLinkPolicies || configuration.mode != .redundant || configuration.copies != 0
        guard peer.rolesDirty || (peer.announcedRoles.session != session.localIndex && (differs || peer.rolesEverAnnounced))
        else { return }
        var links: [(Int, LinkPolicy)] = []
        for link in 0..<256 where peer.linkPolicies[link] != .primary { links.append((link, peer.linkPolicies[link])) }
        var body = [UInt8](repeating: 0, count: 8 + 4 * min(links.count, 64))
        peer.rolesGeneration &+= 1
        body.withUnsafeMutableBytes { LE.put($0.baseAddress!, 0, peer.rolesGeneration) }
        body[4] = configuration.mode == .failover ? 1 : 0
        body[5] = UInt8(min(configuration.copies, 255))
        body[6] = UInt8(min(links.count, 64))
        for (i, (link, policy)) in links.prefix(64).enumerated() {
            body[8 + 4 * i] = UInt8(link)
            body[9 + 4 * i] = policy.role.rawValue
            body[10 + 4 * i] = policy.metered ? 1 : 0
        }
        do {
            try sendControl(to: peerIndex, kind: TunnelEngine.linkRolesKind, body: body, reliability: .fullState)
            peer.announcedRoles = (session.localIndex, peer.rolesGeneration)
            peer.rolesDirty = false
            peer.rolesEverAnnounced = true
        } catch {
            // Too many pending: the next tick tries again.
        }
    }
}
