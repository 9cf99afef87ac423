import MLinkControl
import MLinkTypes

/// Probes: every connection, busy or idle, at an interval scaled to its round-trip time (PROTOCOL.md section 6).
///
/// A probe request carries the sender's clock and its current probe interval; the reply echoes the clock and adds
/// the replier's. That gives the round-trip time, a one-way delay trend for each direction, and tells a router
/// (which sends no requests of its own) how soon to expect the next request on that path.
///
/// An idle connection's probes are compact (8-byte payload: kind, interval, the requester's clock in µs mod
/// 2^32): they prove the path alive and re-announce the slow rate, and cost 80 bytes on the wire instead of 96.
extension WireFormat {
    public static let compactProbePayloadSize = 8
}

extension TunnelEngine {
    enum ProbeKind: UInt8 { case request = 1, reply = 2 }

    func receiveProbe(_ payload: UnsafeMutableRawPointer, length: Int, peer: Peer, connection c: Int, now: UInt64) -> Verdict {
        let compact = length == WireFormat.compactProbePayloadSize
        guard length == WireFormat.probePayloadSize || compact,
              let kind = ProbeKind(rawValue: payload.load(as: UInt8.self)) else {
            globalDrops.malformed += 1
            return .none
        }
        let echoed = compact ? UInt64(LE.u32(payload, 4)) : LE.u64(payload, 8)
        switch kind {
        case .reply:
            // A router sends no requests, so it expects no replies; a host's clock in one would only feed the
            // router arithmetic an attacker chose.
            guard peer.dials else {
                globalDrops.malformed += 1
                return .none
            }
            peer.connections[c].statistics.probeRepliesReceived += 1
            if compact {
                let microseconds = ((now / 1000) &- echoed) & 0xffff_ffff  // mod 2^32
                if microseconds < 60_000_000 { peer.connections[c].statistics.addRTTSample(microseconds * 1000) }
                return .none
            }
            if echoed <= now && now - echoed < 60_000_000_000 {
                peer.connections[c].statistics.addRTTSample(now - echoed)
                let replierClock = LE.u64(payload, 16)
                peer.connections[c].statistics.addDelaySamples(
                    forward: Int64(bitPattern: replierClock &- echoed), reverse: Int64(bitPattern: now &- replierClock))
            }
            return .none
        case .request:
            let announced = UInt64(LE.u16(payload, 2)) * 1_000_000
            if announced > 0 { peer.connections[c].statistics.peerProbeInterval = announced }
            // The host measures the path; a router, which sends no requests, reports the host's figures.
            if !peer.dials, !compact, LE.u32(payload, 16) > 0 {
                peer.connections[c].statistics.smoothedRTT = UInt64(LE.u32(payload, 16)) * 1000
                peer.connections[c].statistics.rttVariation = UInt64(LE.u32(payload, 20)) * 1000
            }
            guard let session = peer.session, isUsable(session, now: now) else { return .none }
            let length = writeProbe(kind: .reply, echo: echoed, compact: compact, peer: peer, connection: c,
                                    into: replyBuffer, now: now)
            return .reply(length: length)
        }
    }

    /// Writes a probe (request or reply, full or compact) for connection `c` of `peer` into `out`; returns its
    /// length. `echo` is the requester's clock: in ns, or for a compact reply the µs value the request carried.
    func writeProbe(kind: ProbeKind, echo: UInt64, compact: Bool = false, peer: Peer, connection c: Int,
                    into out: UnsafeMutableRawPointer, now: UInt64) -> Int {
        peer.session!.sendCounter += 1
        let header = TransportHeader(type: .probe, pathID: peer.connections[c].pathID,
                                     receiverIndex: peer.session!.remoteIndex, counter: peer.session!.sendCounter,
                                     pathSequence: peer.connections[c].nextSequence)
        header.write(to: out)
        let payload = out + WireFormat.transportHeaderSize
        let payloadSize = compact ? WireFormat.compactProbePayloadSize : WireFormat.probePayloadSize
        payload.initializeMemory(as: UInt8.self, repeating: 0, count: payloadSize)
        payload.storeBytes(of: kind.rawValue, as: UInt8.self)
        if compact {
            if kind == .request {
                let interval = announcedProbeInterval(peer.connections[c], now: now)
                peer.connections[c].announcedInterval = interval
                LE.put(payload, 2, UInt16(min(interval / 1_000_000, UInt64(UInt16.max))))
            }
            LE.put(payload, 4, UInt32(truncatingIfNeeded: kind == .request ? echo / 1000 : echo))
        } else if kind == .request {
            let statistics = peer.connections[c].statistics
            let interval = announcedProbeInterval(peer.connections[c], now: now)
            let milliseconds = min(interval / 1_000_000, UInt64(UInt16.max))
            peer.connections[c].announcedInterval = interval
            LE.put(payload, 2, UInt16(milliseconds))
            LE.put(payload, 16, UInt32(min(statistics.smoothedRTT / 1000, UInt64(UInt32.max))))
            LE.put(payload, 20, UInt32(min(statistics.rttVariation / 1000, UInt64(UInt32.max))))
        }
        if !compact {
            LE.put(payload, 8, echo)
            if kind == .reply { LE.put(payload, 16, now) }
        }
        peer.session!.seal(header: out, payloadLength: payloadSize)
        let length = WireFormat.transportOverhead + payloadSize
        peer.connections[c].recordSent(.probe, bytes: length, now: now)
        return length
    }

    /// How often a host probes connection `c`: 2 x (SRTT + 4 RTTVAR), at least `probeInterval` and what the
    /// probe bandwidth cap allows, at most `maximumProbeInterval`. Unmeasured paths use the minimum.
    func probeInterval(of connection: Connection) -> UInt64 {
        // A pairing that never answered (TunnelEngine+Unreachable.swift) is only checked now and then.
        if connection.state == .unreachable { return Connection.unreachableProbeInterval }
        let statistics = connection.statistics
        let wireBytes = UInt64(WireFormat.outerOverhead(ipv6: connection.remote.address.isIPv6) + WireFormat.probePayloadSize)
        let bandwidthFloor = configuration.probeBandwidthLimit == 0 ? 0
            : wireBytes * 1_000_000_000 / configuration.probeBandwidthLimit
        let floor = max(configuration.probeInterval, bandwidthFloor)
        guard statistics.smoothedRTT > 0 else { return min(floor, configuration.maximumProbeInterval) }
        let scaled = 2 * (statistics.smoothedRTT + 4 * statistics.rttVariation)
        return min(max(scaled, floor), max(configuration.maximumProbeInterval, floor))
    }
}

extension TunnelEngine {
    /// True when a host's request on `connection` may be compact: up, measured, probed at its idle rate (not
    /// busy, the interval in effect above the RTT-scaled one), and that rate already announced by a full
    /// request (which also gave the router the path's SRTT and RTTVAR to report), so it only proves the path
    /// alive.
    @inline(__always)
    func probesCompactly(_ connection: Connection, now: UInt64) -> Bool {
        connection.state == .up && connection.statistics.smoothedRTT > 0 && !isBusy(connection, now: now)
            && connection.probeIntervalInEffect > probeInterval(of: connection)
            && connection.announcedInterval == connection.probeIntervalInEffect
    }
}
