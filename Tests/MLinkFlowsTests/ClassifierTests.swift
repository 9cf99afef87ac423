import MLinkFlows
import MLinkTypes
import XCTest

/// Packet shapes as the TUN shows them: IPv4/IPv6 headers with UDP or TCP and a chosen payload.
enum Shapes {
    static let host = IPAddress("10.77.0.10")!, peer = IPAddress("10.77.0.20")!

    static func udp4(_ payload: [UInt8], sourcePort: UInt16 = 40000, destinationPort: UInt16 = 50000,
                     dscp: UInt8 = 0, size: Int? = nil) -> [UInt8] {
        let length = size ?? (28 + payload.count)
        var p = [UInt8](repeating: 0, count: length)
        p[0] = 0x45; p[1] = dscp << 2
        p[2] = UInt8(length >> 8); p[3] = UInt8(length & 0xff); p[8] = 64; p[9] = 17
        p.replaceSubrange(12..<16, with: host.bytes); p.replaceSubrange(16..<20, with: peer.bytes)
        p[20] = UInt8(sourcePort >> 8); p[21] = UInt8(sourcePort & 0xff)
        p[22] = UInt8(destinationPort >> 8); p[23] = UInt8(destinationPort & 0xff)
        for (i, b) in payload.enumerated() where 28 + i < length { p[28 + i] = b }
        return p
    }

    static func tcp4(size: Int, flags: UInt8 = 0x10, sourcePort: UInt16 = 40001, destinationPort: UInt16 = 443) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: size)
        p[0] = 0x45; p[2] = UInt8(size >> 8); p[3] = UInt8(size & 0xff); p[8] = 64; p[9] = 6
        p.replaceSubrange(12..<16, with: host.bytes); p.replaceSubrange(16..<20, with: peer.bytes)
        p[20] = UInt8(sourcePort >> 8); p[21] = UInt8(sourcePort & 0xff)
        p[22] = UInt8(destinationPort >> 8); p[23] = UInt8(destinationPort & 0xff)
        p[32] = 5 << 4; p[33] = flags
        return p
    }

    static func rtp(sequence: UInt16, ssrc: UInt32 = 0xdead_beef, payloadType: UInt8 = 111, payload: Int) -> [UInt8] {
        var h: [UInt8] = [0x80, payloadType, UInt8(sequence >> 8), UInt8(sequence & 0xff), 0, 0, 0, 0,
                          UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
        h += [UInt8](repeating: 0x55, count: payload)
        return h
    }

    /// A STUN binding request with one 8-byte attribute.
    static let stun: [UInt8] = [0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 7, count: 12)
        + [0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x1e, 0xff]
    /// A DTLS 1.2 handshake record header and some body.
    static let dtls: [UInt8] = [22, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 10) + [UInt8](repeating: 1, count: 100)
}

extension SplitMix64 {
    /// Uniform in 0...range.
    mutating func jitter(_ range: UInt64) -> UInt64 { next() % (range + 1) }
}

final class ClassifierTests: XCTestCase {
    private func feed(_ table: FlowTable, _ packet: [UInt8], at now: UInt64) -> Int {
        packet.withUnsafeBytes { table.observe($0.baseAddress!, length: packet.count, now: now)! }
    }

    func testRTPAudioIsRecognisedWithinTenPacketsOr200Milliseconds() {
        for run in 0..<20 {
            var random = SplitMix64(seed: UInt64(run))
            let table = FlowTable(seed: UInt64(run))
            var now: UInt64 = 1_000_000_000
            let start = now
            var decidedAt: (packets: Int, time: UInt64)? = nil
            var first: UInt64 = 0
            for n in 0..<50 {
                now += 20_000_000 + random.jitter(2_000_000)
                if n == 0 { first = now }
                let slot = feed(table, Shapes.udp4(Shapes.rtp(sequence: UInt16(1000 + n), payload: 160)), at: now)
                if decidedAt == nil, table.entries[slot].trafficClass == .realtimeAudio { decidedAt = (n + 1, now - start) }
                XCTAssertTrue(table.entries[slot].trafficClass.isRealTime, "run \(run) packet \(n): never anything but protected")
            }
            let decided = try! XCTUnwrap(decidedAt, "run \(run)")
            XCTAssertTrue(decided.packets <= 10 || decided.time <= 200_000_000, "run \(run): \(decided)")
            let flow = table.entries.first { $0.packets == 50 }!
            XCTAssertTrue(flow.detected.contains([.rtp, .rtpAudio]), flow.detected.description)
            XCTAssertEqual(flow.reason, .header)
            // show's record of the decision is the moment seen here.
            XCTAssertEqual(flow.decidedAtPacket, UInt64(decided.packets), "run \(run)")
            XCTAssertEqual(flow.decidedAfter, decided.time - (first - start), "run \(run)")
            XCTAssertEqual(flow.firstLivePacket, UInt64(decided.packets), "run \(run)")
        }
    }

    func testWebRTCIsRecognisedFromSTUNThenDTLSThenRTP() {
        for run in 0..<20 {
            var random = SplitMix64(seed: 100 + UInt64(run))
            let table = FlowTable(seed: UInt64(run))
            var now: UInt64 = 5_000_000_000
            let start = now
            var packets: [[UInt8]] = [Shapes.udp4(Shapes.stun), Shapes.udp4(Shapes.dtls), Shapes.udp4(Shapes.dtls)]
            for n in 0..<40 { packets.append(Shapes.udp4(Shapes.rtp(sequence: UInt16(n), payloadType: 96, payload: 1000))) }
            var decidedAt: (packets: Int, time: UInt64)? = nil
            var slot = 0
            for (n, packet) in packets.enumerated() {
                now += 5_000_000 + random.jitter(10_000_000)  // video frames in bursts
                slot = feed(table, packet, at: now)
                if decidedAt == nil, table.entries[slot].trafficClass == .realtimeVideo { decidedAt = (n + 1, now - start) }
            }
            let decided = try! XCTUnwrap(decidedAt, "run \(run)")
            XCTAssertTrue(decided.packets <= 10 || decided.time <= 200_000_000, "run \(run): \(decided)")
            XCTAssertTrue(table.entries[slot].detected.contains([.stun, .dtls, .rtp, .webrtc, .rtpVideo]),
                          table.entries[slot].detected.description)
        }
    }

    func testBulkIsNeverClassifiedRealTime() {
        for run in 0..<20 {
            var random = SplitMix64(seed: 200 + UInt64(run))
            let table = FlowTable(seed: UInt64(run))
            var now: UInt64 = 1_000_000_000
            let start = now
            var tcpSlot = 0, udpSlot = 0
            // A TCP download at ~2000 segments/s and an iperf-like UDP stream at ~1000/s, for 6 s.
            for n in 0..<12_000 {
                now += 500_000 + random.jitter(100_000)
                tcpSlot = feed(table, Shapes.tcp4(size: 1400), at: now)
                if n % 2 == 0 { udpSlot = feed(table, Shapes.udp4([0x12, 0x34], size: 1300), at: now) }
                for slot in [tcpSlot, udpSlot] where table.entries[slot].packets > 10 {
                    let c = table.entries[slot].trafficClass
                    XCTAssertFalse(c == .realtimeAudio || c == .realtimeVideo || c == .interactive,
                                   "run \(run) at \(now - start) ns: \(c.name) by \(table.entries[slot].reason.name)")
                }
            }
            XCTAssertEqual(table.entries[tcpSlot].trafficClass, .bulk)
            XCTAssertEqual(table.entries[udpSlot].trafficClass, .bulk)
            XCTAssertEqual(table.entries[tcpSlot].reason, .behaviour)
            XCTAssertEqual(table.entries[tcpSlot].firstLivePacket, 0, "run \(run)")
            XCTAssertEqual(table.entries[udpSlot].firstLivePacket, 0, "run \(run)")
            XCTAssertGreaterThan(table.entries[tcpSlot].decidedAtPacket, 10, "run \(run): bulk takes 5 s")
        }
    }

    func testTheRecordOfTheDecisionFollowsTheClassAndRemembersTheFirstLiveOne() {
        let table = FlowTable(seed: 7)
        var now: UInt64 = 1_000_000_000
        let start = now
        var slot = 0
        // 20 small packets at 20 ms: audio by behaviour from the tenth.
        for _ in 0..<20 {
            now += 20_000_000
            slot = feed(table, Shapes.udp4([0x12, 0x34], size: 200), at: now)
        }
        XCTAssertEqual(table.entries[slot].trafficClass, .realtimeAudio)
        XCTAssertEqual(table.entries[slot].decidedAtPacket, 10)
        XCTAssertEqual(table.entries[slot].decidedAfter, 200_000_000 - 20_000_000)
        XCTAssertEqual(table.entries[slot].firstLivePacket, 10)
        // Then large packets every millisecond: no longer live, decided anew; the first live packet stays.
        for _ in 0..<100 {
            now += 1_000_000
            slot = feed(table, Shapes.udp4([0x12, 0x34], size: 1200), at: now)
        }
        let flow = table.entries[slot]
        XCTAssertFalse(flow.trafficClass.isLive, flow.trafficClass.name)
        XCTAssertGreaterThan(flow.decidedAtPacket, 20)
        XCTAssertEqual(flow.decidedAfter, now - start - 20_000_000 - UInt64(120 - Int(flow.decidedAtPacket)) * 1_000_000)
        XCTAssertEqual(flow.firstLivePacket, 10)
    }

    func testDSCPDecidesFirst() {
        let table = FlowTable(seed: 1)
        let ef = feed(table, Shapes.udp4([1, 2, 3], destinationPort: 5004, dscp: 46), at: 1)
        XCTAssertEqual(table.entries[ef].trafficClass, .realtimeAudio)
        XCTAssertEqual(table.entries[ef].reason, .dscp)
        let af41 = feed(table, Shapes.udp4([1, 2, 3], destinationPort: 5006, dscp: 34), at: 2)
        XCTAssertEqual(table.entries[af41].trafficClass, .realtimeVideo)
        let cs1 = feed(table, Shapes.udp4([1, 2, 3], destinationPort: 5008, dscp: 8), at: 3)
        XCTAssertEqual(table.entries[cs1].trafficClass, .bulk)
        // CS7 from a host is ignored: the flow is as undecided as an unmarked one.
        let cs7 = feed(table, Shapes.udp4([1, 2, 3], destinationPort: 5010, dscp: 56), at: 4)
        XCTAssertEqual(table.entries[cs7].trafficClass, .unknown)
    }

    func testBehaviourAloneRecognisesUnmarkedAudioAndSmallInteractiveTraffic() {
        let table = FlowTable(seed: 3)
        var now: UInt64 = 0, audio = 0, chat = 0
        for n in 0..<30 {
            now += 20_000_000
            audio = feed(table, Shapes.udp4([0x17] + [UInt8](repeating: 0, count: 100), destinationPort: 6000), at: now)
            if n % 10 == 0 { chat = feed(table, Shapes.udp4([0x17, 1, 2], destinationPort: 6001), at: now) }
        }
        XCTAssertEqual(table.entries[audio].trafficClass, .realtimeAudio)
        XCTAssertEqual(table.entries[audio].reason, .behaviour)
        XCTAssertEqual(table.entries[chat].trafficClass, .interactive)
    }

    func testQUICAndSRTHeadersAreDetected() {
        let table = FlowTable(seed: 4)
        let quic = feed(table, Shapes.udp4([0xC3, 0x00, 0x00, 0x00, 0x01] + [UInt8](repeating: 0, count: 1195), destinationPort: 443), at: 1)
        XCTAssertTrue(table.entries[quic].detected.contains(.quic))
        var srt: [UInt8] = [0x80, 0x00, 0x00, 0x00] + [UInt8](repeating: 0, count: 60)
        srt[19] = 5  // handshake version 5
        let s = feed(table, Shapes.udp4(srt, destinationPort: 9710), at: 2)
        XCTAssertTrue(table.entries[s].detected.contains(.srt))
        XCTAssertEqual(table.entries[s].trafficClass, .realtimeVideo)
        // Not STUN without the magic cookie, not DTLS with another version.
        let fake = feed(table, Shapes.udp4([0x00, 0x01, 0x00, 0x00, 1, 2, 3, 4] + [UInt8](repeating: 0, count: 12), destinationPort: 7000), at: 3)
        XCTAssertFalse(table.entries[fake].detected.contains(.stun))
        let notDTLS = feed(table, Shapes.udp4([22, 0x03, 0x03] + [UInt8](repeating: 0, count: 20), destinationPort: 7001), at: 4)
        XCTAssertFalse(table.entries[notDTLS].detected.contains(.dtls))
    }

    func testDNSIsControl() {
        let table = FlowTable(seed: 5)
        let dns = feed(table, Shapes.udp4([0x12, 0x34, 1, 0], sourcePort: 53000, destinationPort: 53), at: 1)
        XCTAssertEqual(table.entries[dns].trafficClass, .control)
    }
}
