/// The classifier: decides a flow's class from what its packets show, without the application's help.
///
/// In this order (../shared/notes/policies.md section 4 has the sources): the inner DSCP; header checks on the
/// first UDP payloads (the RFC 7983/9443 first-byte demux: STUN with its magic cookie, DTLS records, RTP/RTCP with
/// version 2, a stable SSRC and +1 sequence steps; QUIC long headers; SRT handshakes); then behaviour (rate,
/// size, regularity); ports only as hints. Until 10 packets or 200 ms have been seen a flow is `unknown`, which
/// policies protect like real time. Per packet it does a few comparisons and integer EWMAs: no allocation.
enum FlowClassifier {
    /// Header checks look at this many first packets of a flow (RTP sequence tracking continues after).
    static let headerPackets: UInt64 = 64
    static let decideAfterPackets: UInt64 = 10
    static let decideAfterTime: UInt64 = 200_000_000
    /// Bulk: at least 100 packets/s of at least 500 bytes on average, for 5 s (qosify's and dscpclassify's figures).
    static let bulkInterval: UInt64 = 10_000_000
    static let bulkSize: UInt64 = 500
    static let bulkAfter: UInt64 = 5_000_000_000
    /// Real-time audio by behaviour: 25 to 100 packets/s, at most 300 bytes, inter-arrival deviation <= 0.3 x mean.
    static let audioIntervals: ClosedRange<UInt64> = 10_000_000...40_000_000
    static let audioSize: UInt64 = 300

    static func observe(_ flow: inout FlowState, headers: PacketHeaders, packet: UnsafeRawPointer, length: Int,
                        now: UInt64) {
        if flow.packets == 0 {
            flow.firstSeen = now
            flow.meanSize = UInt64(length)
        } else {
            let interval = now &- flow.lastSeen
            if flow.packets == 1 {
                flow.meanInterval = interval
                flow.intervalDeviation = interval / 2
            } else {
                let error = interval > flow.meanInterval ? interval - flow.meanInterval : flow.meanInterval - interval
                flow.meanInterval = (7 * flow.meanInterval + interval) / 8
                flow.intervalDeviation = (3 * flow.intervalDeviation + error) / 4
            }
            flow.meanSize = (7 * flow.meanSize + UInt64(length)) / 8
        }
        flow.lastSeen = now
        flow.packets += 1
        flow.bytes += UInt64(length)
        flow.dscp = headers.dscp

        var detected = flow.detected
        if headers.key.proto == PacketHeaders.udp, headers.payloadOffset < length {
            inspectUDP(&flow, &detected, payload: packet + headers.payloadOffset, length: length - headers.payloadOffset)
        }
        if detected.contains(.stun), !detected.isDisjoint(with: [.dtls, .rtp]) { detected.insert(.webrtc) }
        if detected.contains(.rtp), flow.packets >= 3 {
            detected.remove([.rtpAudio, .rtpVideo])
            detected.insert(flow.meanSize <= audioSize ? .rtpAudio : .rtpVideo)
        }
        // Bulk by behaviour, sustained.
        if flow.packets > 2, flow.meanInterval <= bulkInterval, flow.meanSize >= bulkSize {
            if flow.bulkSince == 0 { flow.bulkSince = now }
            if now &- flow.bulkSince >= bulkAfter { detected.insert(.bulk) }
        } else {
            flow.bulkSince = 0
            detected.remove(.bulk)
        }

        let (newClass, reason) = decide(flow, detected: detected, headers: headers, now: now)
        if newClass != flow.trafficClass || detected != flow.detected {
            flow.generation &+= 1
        }
        if newClass != flow.trafficClass {
            flow.decidedAtPacket = newClass == .unknown ? 0 : flow.packets
            flow.decidedAfter = newClass == .unknown ? 0 : now &- flow.firstSeen
            if flow.firstLivePacket == 0, newClass.isLive { flow.firstLivePacket = flow.packets }
        }
        flow.detected = detected
        flow.trafficClass = newClass
        flow.reason = reason
    }

    private static func inspectUDP(_ flow: inout FlowState, _ detected: inout Detections, payload p: UnsafeRawPointer,
                                   length: Int) {
        let first = p.load(as: UInt8.self)
        switch first {
        case 0...3:
            // STUN: magic cookie 0x2112A442 at 4, message length (after the 20-byte header) a multiple of 4.
            if flow.packets <= headerPackets, length >= 20, be32(p, 4) == 0x2112_A442, Int(be16(p, 2)) == length - 20,
               be16(p, 2) % 4 == 0 {
                detected.insert(.stun)
            }
        case 20...63:
            // DTLS record: content type 20-23, version DTLS 1.0 (FEFF) or 1.2 (FEFD).
            if flow.packets <= headerPackets, first <= 23, length >= 13 {
                let version = be16(p, 1)
                if version == 0xFEFF || version == 0xFEFD { detected.insert(.dtls) }
            }
        case 128...191:
            guard length >= 12 else { break }
            let payloadType = p.load(fromByteOffset: 1, as: UInt8.self)
            if (200...207).contains(payloadType) {
                detected.insert(.rtcp)  // RFC 5761: RTCP packet types share the first byte's range
                break
            }
            let ssrc = be32(p, 8), sequence = be16(p, 2)
            if ssrc == flow.rtpSSRC, sequence == flow.rtpSequence &+ 1 {
                if flow.rtpSteps < 255 { flow.rtpSteps += 1 }
            } else if ssrc != flow.rtpSSRC {
                flow.rtpSSRC = ssrc
                flow.rtpSteps = 0
            }
            flow.rtpSequence = sequence
            // A stable SSRC and +1 steps across three packets.
            if flow.rtpSteps >= 2 { detected.insert(.rtp) }
        default:
            break
        }
        guard flow.packets <= headerPackets else { return }
        // QUIC long header (RFC 9000 / 9369): form and fixed bits set, version 1 or 2.
        if first & 0xC0 == 0xC0, length >= 5 {
            let version = be32(p, 1)
            if version == 0x0000_0001 || version == 0x6b33_43cf { detected.insert(.quic) }
        }
        // SRT handshake: a control packet (F bit) of type 0 (handshake), with the SRT magic in the handshake's
        // extension field, or UDT version 4/5 in the first handshake word.
        if length >= 64, be16(p, 0) == 0x8000, be16(p, 2) == 0 {
            let version = be32(p, 16)
            if version == 4 || version == 5 { detected.insert(.srt) }
        }
    }

    private static func decide(_ flow: FlowState, detected: Detections, headers: PacketHeaders,
                               now: UInt64) -> (TrafficClass, ClassReason) {
        switch flow.dscp {
        case 46: return (.realtimeAudio, .dscp)  // EF
        case 34, 36, 38: return (.realtimeVideo, .dscp)  // AF41-43 (WebRTC video, RFC 8837)
        case 32, 40: return (.interactive, .dscp)  // CS4, CS5
        case 8, 1: return (.bulk, .dscp)  // CS1, LE
        default: break  // CS6/CS7 are network control: a host's claim to them is ignored
        }
        if detected.contains(.rtpAudio) { return (.realtimeAudio, .header) }
        if detected.contains(.rtpVideo) || detected.contains(.srt) { return (.realtimeVideo, .header) }
        if headers.key.destinationPort == 53 || headers.key.sourcePort == 53 { return (.control, .port) }
        if detected.contains(.bulk) { return (.bulk, .behaviour) }
        guard flow.packets >= decideAfterPackets || now &- flow.firstSeen >= decideAfterTime else {
            return (.unknown, .none)
        }
        if detected.contains(.webrtc) { return (.realtimeVideo, .header) }  // media will follow on the tuple
        let interval = flow.meanInterval
        // Anything fast with large packets is headed for bulk: never real time, whatever else it shows.
        if interval <= bulkInterval, flow.meanSize >= bulkSize { return (.default, .behaviour) }
        if headers.key.proto == PacketHeaders.udp, audioIntervals.contains(interval), flow.meanSize <= audioSize,
           flow.intervalDeviation * 10 <= interval * 3 {
            return (.realtimeAudio, .behaviour)
        }
        if interval > audioIntervals.upperBound, flow.meanSize <= audioSize { return (.interactive, .behaviour) }
        if headers.key.proto == PacketHeaders.udp, isConferencingPort(headers.key.destinationPort)
            || isConferencingPort(headers.key.sourcePort) {
            return (.interactive, .port)
        }
        return (.default, .behaviour)
    }

    /// STUN/TURN, Zoom, Teams, Webex, Meet: a hint only, used when behaviour could not decide.
    static func isConferencingPort(_ port: UInt16) -> Bool {
        (3478...3481).contains(port) || port == 5349 || (8801...8810).contains(port) || port == 9000
            || (19302...19309).contains(port)
    }
}
