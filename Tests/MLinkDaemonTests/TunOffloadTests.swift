import MLinkProtocol
import XCTest
@testable import MLinkDaemon

/// Cutting TSO super-packets and completing partial checksums, checked against a plain RFC 1071 checksum written
/// here (16-bit words, one at a time) and against the fields a kernel's own segmentation would produce.
final class TunOffloadTests: XCTestCase {
    /// RFC 1071, the slow way.
    private func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    private func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
    private func u32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(b, at)) << 16 | UInt32(u16(b, at + 2)) }

    /// An IPv4 (or IPv6) TCP packet: 20-byte TCP header (+ `options` bytes), `payload` bytes of a pattern.
    private func tcpPacket(ipv6: Bool, payload: Int, flags: UInt8, options: Int = 0) -> [UInt8] {
        let ip = ipv6 ? 40 : 20, tcp = 20 + options
        var p = [UInt8](repeating: 0, count: ip + tcp + payload)
        if ipv6 {
            p[0] = 0x60; p[4] = UInt8((tcp + payload) >> 8); p[5] = UInt8((tcp + payload) & 0xff); p[6] = 6; p[7] = 64
            for i in 0..<16 { p[8 + i] = UInt8(0x20 + i); p[24 + i] = UInt8(0x40 + i) }
        } else {
            p[0] = 0x45; p[2] = UInt8(p.count >> 8); p[3] = UInt8(p.count & 0xff); p[4] = 0x12; p[5] = 0x34
            p[6] = 0x40; p[8] = 64; p[9] = 6
            p[12...15] = [10, 77, 0, 10]; p[16...19] = [10, 77, 0, 20]
        }
        p[ip] = 0x9c; p[ip + 1] = 0x40; p[ip + 2] = 0x14; p[ip + 3] = 0x51  // ports 40000, 5201
        p[ip + 4...ip + 7] = [0xff, 0xff, 0xff, 0x00]  // a sequence number that wraps
        p[ip + 12] = UInt8(tcp / 4) << 4
        p[ip + 13] = flags
        for i in 0..<payload { p[ip + tcp + i] = UInt8(truncatingIfNeeded: i * 7 + 3) }
        return p
    }

    private func pseudoHeader(_ seg: [UInt8], ipv6: Bool) -> [UInt8] {
        let ip = ipv6 ? 40 : 20
        let length = seg.count - ip
        if ipv6 {
            return Array(seg[8..<40]) + [0, 0, UInt8(length >> 8), UInt8(length & 0xff), 0, 0, 0, 6]
        }
        return Array(seg[12..<20]) + [0, 6, UInt8(length >> 8), UInt8(length & 0xff)]
    }

    private func cut(_ packet: [UInt8], ipv6: Bool, mss: Int, capacity: Int = 64) throws -> [[UInt8]] {
        var header = [UInt8](repeating: 0, count: 10)
        header[0] = 1
        header[1] = ipv6 ? 4 : 1
        header[4] = UInt8(mss & 0xff); header[5] = UInt8(mss >> 8)
        header[6] = UInt8(ipv6 ? 40 : 20)
        header[8] = 16
        let batch = PacketBatch(capacity: capacity, packetCapacity: 2048)
        var segments: [[UInt8]] = []
        var next = 0
        while true {
            let result = header.withUnsafeBytes { h in
                packet.withUnsafeBytes { p in
                    TunOffload.segment(p.baseAddress!, length: packet.count, header: VirtioNetHeader(reading: h.baseAddress!),
                                       from: next, into: batch)
                }
            }
            let (cutTo, total) = try XCTUnwrap(result)
            for i in 0..<batch.count {
                segments.append([UInt8](UnsafeRawBufferPointer(start: batch.payload(at: i), count: batch.length(at: i))))
            }
            batch.removeAll()
            next = cutTo
            if next >= total { break }
        }
        return segments
    }

    func testIPv4SuperPacketBecomesSegmentsWithTheirOwnHeadersAndChecksums() throws {
        let payload = 5000, mss = 1388
        let packet = tcpPacket(ipv6: false, payload: payload, flags: 0x80 | 0x18 | 0x01)  // CWR, PSH+ACK, FIN
        let segments = try cut(packet, ipv6: false, mss: mss, capacity: 2)  // also across batch refills
        XCTAssertEqual(segments.count, 4)
        var carried: [UInt8] = []
        for (i, seg) in segments.enumerated() {
            XCTAssertEqual(Int(u16(seg, 2)), seg.count, "total length")
            XCTAssertEqual(u16(seg, 4), 0x1234 &+ UInt16(i), "id")
            XCTAssertEqual(internetChecksum(Array(seg[0..<20])), 0, "IPv4 header checksum")
            XCTAssertEqual(u32(seg, 24), 0xffff_ff00 &+ UInt32(i * mss), "sequence")
            let flags = seg[33]
            XCTAssertEqual(flags & 0x80 != 0, i == 0, "CWR on the first only")
            XCTAssertEqual(flags & 0x09 != 0, i == segments.count - 1, "FIN and PSH on the last only")
            XCTAssertEqual(flags & 0x10, 0x10, "ACK on every one")
            XCTAssertEqual(internetChecksum(pseudoHeader(seg, ipv6: false) + Array(seg[20...])), 0, "TCP checksum of \(i)")
            carried += seg[40...]
        }
        XCTAssertEqual(carried, Array(packet[40...]), "the payload, in order, once")
        XCTAssertEqual(segments.last?.count, 40 + payload - 3 * mss)
    }

    func testIPv6SuperPacketWithOptions() throws {
        let packet = tcpPacket(ipv6: true, payload: 3000, flags: 0x10, options: 12)
        let segments = try cut(packet, ipv6: true, mss: 1208)
        XCTAssertEqual(segments.count, 3)
        for seg in segments {
            XCTAssertEqual(Int(u16(seg, 4)), seg.count - 40, "payload length")
            XCTAssertEqual(internetChecksum(pseudoHeader(seg, ipv6: true) + Array(seg[40...])), 0)
        }
        XCTAssertEqual(segments.map { $0.count - 72 }.reduce(0, +), 3000)
    }

    func testMalformedSuperPacketsAreRefused() throws {
        var notTCP = tcpPacket(ipv6: false, payload: 2000, flags: 0x10)
        notTCP[9] = 17
        var header = [UInt8](repeating: 0, count: 10)
        header[1] = 1; header[4] = 0x00; header[5] = 0x05; header[6] = 20
        let batch = PacketBatch(capacity: 8, packetCapacity: 2048)
        for packet in [notTCP, Array(tcpPacket(ipv6: false, payload: 10, flags: 0)[0..<30])] {
            let result = header.withUnsafeBytes { h in
                packet.withUnsafeBytes { TunOffload.segment($0.baseAddress!, length: packet.count,
                                                             header: VirtioNetHeader(reading: h.baseAddress!), from: 0, into: batch) }
            }
            XCTAssertNil(result)
        }
        XCTAssertEqual(batch.count, 0)
    }

    /// CHECKSUM_PARTIAL: the field holds the pseudo-header sum; completing it gives the full checksum.
    func testPartialChecksumIsCompleted() {
        var packet = tcpPacket(ipv6: false, payload: 333, flags: 0x18)
        let pseudo = pseudoHeader(packet, ipv6: false)
        var partial: UInt32 = 0
        for i in stride(from: 0, to: pseudo.count, by: 2) { partial += UInt32(pseudo[i]) << 8 | UInt32(pseudo[i + 1]) }
        while partial >> 16 != 0 { partial = (partial & 0xffff) + (partial >> 16) }
        packet[36] = UInt8(partial >> 8); packet[37] = UInt8(partial & 0xff)
        let length = packet.count
        let done = packet.withUnsafeMutableBytes { TunOffload.completeChecksum($0.baseAddress!, length: length, start: 20, offset: 16) }
        XCTAssertTrue(done)
        XCTAssertEqual(internetChecksum(pseudo + Array(packet[20...])), 0)
        XCTAssertFalse(packet.withUnsafeMutableBytes { TunOffload.completeChecksum($0.baseAddress!, length: 30, start: 20, offset: 16) })
    }
}
