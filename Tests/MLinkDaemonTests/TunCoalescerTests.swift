import MLinkProtocol
import MLinkSystem
import XCTest
@testable import MLinkDaemon

/// GRO-style coalescing of delivered packets (TunCoalescer): which runs merge and which do not, and that a
/// super-packet is what the kernel expects (virtio header, lengths, IPv4 header checksum, the pseudo-header sum in
/// the TCP/UDP checksum field, checked against a plain RFC 1071 computation written here), and that cutting it
/// again as the kernel's GSO would (TunOffload.segment) gives back the original packets byte for byte.
final class TunCoalescerTests: XCTestCase {
    /// Collects what would be written to the TUN device, virtio header first.
    final class Collector: TunPacketWriter {
        var packets: [[UInt8]] = []
        var refuse = false
        func writePacket(_ vectors: IOVectorArray, from first: Int, count: Int) -> Bool {
            var bytes: [UInt8] = []
            for i in first..<first + count {
                bytes += UnsafeRawBufferPointer(start: vectors.base(at: i), count: vectors.length(at: i))
            }
            packets.append(bytes)
            return !refuse
        }
    }

    /// Packets laid out as the receive path leaves them: each behind headroom (where the transport header was).
    final class Arena {
        let base = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        var used = 0
        deinit { base.deallocate() }
        func place(_ packet: [UInt8]) -> UnsafeMutableRawPointer {
            let p = base + used + 24
            packet.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: packet.count) }
            used += 24 + packet.count + 16
            return p
        }
    }

    // MARK: reference computations (RFC 1071, 16-bit words one at a time)

    private func sum(_ bytes: [UInt8]) -> UInt32 {
        var s: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { s += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { s += UInt32(bytes[i]) << 8 }
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return s
    }
    private func checksum(_ bytes: [UInt8]) -> UInt16 { ~UInt16(sum(bytes)) }
    private func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
    private func le16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }

    private func pseudoHeader(_ p: [UInt8], ipv6: Bool, proto: UInt8) -> [UInt8] {
        let ip = ipv6 ? 40 : 20
        let length = p.count - ip
        if ipv6 { return Array(p[8..<40]) + [0, 0, UInt8(length >> 8), UInt8(length & 0xff), 0, 0, 0, proto] }
        return Array(p[12..<20]) + [0, proto, UInt8(length >> 8), UInt8(length & 0xff)]
    }

    /// A TCP (or UDP) packet of one flow with valid checksums: segment `index` of a stream of `mss`-byte segments.
    private func packet(ipv6: Bool = false, udp: Bool = false, index: Int, payload: Int, mss: Int = 1000,
                        flags: UInt8 = 0x10, options: [UInt8] = [], ack: UInt32 = 0x0102_0304, ttl: UInt8 = 64,
                        sequenceOffset: Int = 0) -> [UInt8] {
        let ip = ipv6 ? 40 : 20, l4h = udp ? 8 : 20 + options.count
        var p = [UInt8](repeating: 0, count: ip + l4h + payload)
        let proto: UInt8 = udp ? 17 : 6
        if ipv6 {
            p[0] = 0x60; p[1] = 0x01; p[2] = 0x23; p[3] = 0x45
            p[4] = UInt8((l4h + payload) >> 8); p[5] = UInt8((l4h + payload) & 0xff); p[6] = proto; p[7] = ttl
            for i in 0..<16 { p[8 + i] = UInt8(0x20 + i); p[24 + i] = UInt8(0x40 + i) }
        } else {
            p[0] = 0x45; p[1] = 0x10; p[2] = UInt8(p.count >> 8); p[3] = UInt8(p.count & 0xff)
            let id = 0x1234 + index
            p[4] = UInt8((id >> 8) & 0xff); p[5] = UInt8(id & 0xff)
            p[6] = 0x40; p[8] = ttl; p[9] = proto
            p[12...15] = [10, 77, 0, 10]; p[16...19] = [10, 77, 0, 20]
            let c = checksum(Array(p[0..<20])); p[10] = UInt8(c >> 8); p[11] = UInt8(c & 0xff)
        }
        p[ip] = 0x9c; p[ip + 1] = 0x40; p[ip + 2] = 0x14; p[ip + 3] = 0x51
        if udp {
            p[ip + 4] = UInt8((8 + payload) >> 8); p[ip + 5] = UInt8((8 + payload) & 0xff)
        } else {
            let seq = UInt32(0xffff_f000) &+ UInt32(index * mss + sequenceOffset)  // wraps within the run
            p[ip + 4] = UInt8(seq >> 24); p[ip + 5] = UInt8((seq >> 16) & 0xff)
            p[ip + 6] = UInt8((seq >> 8) & 0xff); p[ip + 7] = UInt8(seq & 0xff)
            p[ip + 8] = UInt8(ack >> 24); p[ip + 9] = UInt8((ack >> 16) & 0xff)
            p[ip + 10] = UInt8((ack >> 8) & 0xff); p[ip + 11] = UInt8(ack & 0xff)
            p[ip + 12] = UInt8(l4h / 4) << 4
            p[ip + 13] = flags
            p[ip + 14] = 0x01; p[ip + 15] = 0xf6
            for (i, b) in options.enumerated() { p[ip + 20 + i] = b }
        }
        for i in 0..<payload { p[ip + l4h + i] = UInt8(truncatingIfNeeded: (index * mss + i) * 13 + 5) }
        let field = ip + (udp ? 6 : 16)
        let c = checksum(pseudoHeader(p, ipv6: ipv6, proto: proto) + Array(p[ip...]))
        p[field] = UInt8(c >> 8); p[field + 1] = UInt8(c & 0xff)
        return p
    }

    /// Runs `packets` through one coalescer batch; returns what was written.
    private func coalesce(_ packets: [[UInt8]], udp: Bool = false, coalescer: TunCoalescer? = nil) -> [[UInt8]] {
        let arena = Arena()
        let out = Collector()
        let c = coalescer ?? TunCoalescer(coalescesUDP: udp)
        for p in packets { c.add(arena.place(p), length: p.count, flushingTo: out) }
        c.flush(to: out)
        return out.packets
    }

    /// Cuts a written super-packet as the kernel's GSO would.
    private func cut(_ written: [UInt8]) throws -> [[UInt8]] {
        let header = written.withUnsafeBytes { VirtioNetHeader(reading: $0.baseAddress!) }
        let body = Array(written[10...])
        let batch = PacketBatch(capacity: 128, packetCapacity: 2048)
        let result = body.withUnsafeBytes {
            TunOffload.segment($0.baseAddress!, length: body.count, header: header, from: 0, into: batch)
        }
        let (next, total) = try XCTUnwrap(result)
        XCTAssertEqual(next, total)
        return (0..<batch.count).map { [UInt8](UnsafeRawBufferPointer(start: batch.payload(at: $0), count: batch.length(at: $0))) }
    }

    private func checkSuperPacket(_ w: [UInt8], ipv6: Bool, udp: Bool, mss: Int, headers: Int) {
        XCTAssertEqual(w[0], 1, "NEEDS_CSUM")
        XCTAssertEqual(w[1], udp ? 5 : (ipv6 ? 4 : 1), "GSO type")
        XCTAssertEqual(Int(le16(w, 2)), headers, "header length")
        XCTAssertEqual(Int(le16(w, 4)), mss, "GSO size")
        XCTAssertEqual(Int(le16(w, 6)), ipv6 ? 40 : 20, "checksum start")
        XCTAssertEqual(Int(le16(w, 8)), udp ? 6 : 16, "checksum offset")
        let p = Array(w[10...])
        let ip = ipv6 ? 40 : 20
        if ipv6 {
            XCTAssertEqual(Int(u16(p, 4)), p.count - 40, "IPv6 payload length")
        } else {
            XCTAssertEqual(Int(u16(p, 2)), p.count, "IPv4 total length")
            XCTAssertEqual(checksum(Array(p[0..<20])), 0, "IPv4 header checksum")
        }
        if udp { XCTAssertEqual(Int(u16(p, ip + 4)), p.count - ip, "UDP length") }
        // CHECKSUM_PARTIAL: the field holds the folded, not inverted, pseudo-header sum of the whole packet.
        let expected = UInt16(sum(pseudoHeader(p, ipv6: ipv6, proto: udp ? 17 : 6)))
        XCTAssertEqual(u16(p, ip + (udp ? 6 : 16)), expected, "pseudo-header sum in the checksum field")
    }

    // MARK: runs that merge

    func testIPv4RunBecomesOneSuperPacketThatCutsBackToTheOriginals() throws {
        let originals = (0..<5).map { packet(index: $0, payload: $0 == 4 ? 321 : 1000, flags: $0 == 4 ? 0x18 : 0x10) }
        let written = coalesce(originals)
        XCTAssertEqual(written.count, 1)
        checkSuperPacket(written[0], ipv6: false, udp: false, mss: 1000, headers: 40)
        XCTAssertEqual(written[0][10 + 33] & 0x08, 0x08, "PSH from the last segment")
        XCTAssertEqual(try cut(written[0]), originals)
    }

    func testIPv6RunWithTimestampOptions() throws {
        let timestamps: [UInt8] = [1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0]
        let originals = (0..<4).map { packet(ipv6: true, index: $0, payload: 1000, options: timestamps) }
        let written = coalesce(originals)
        XCTAssertEqual(written.count, 1)
        checkSuperPacket(written[0], ipv6: true, udp: false, mss: 1000, headers: 72)
        XCTAssertEqual(try cut(written[0]), originals)
    }

    func testUDPMergesOnlyWithUSO() throws {
        let originals = (0..<3).map { packet(udp: true, index: $0, payload: $0 == 2 ? 700 : 1200) }
        XCTAssertEqual(coalesce(originals, udp: false).map { Array($0[10...]) }, originals, "without USO: one by one")
        let written = coalesce(originals, udp: true)
        XCTAssertEqual(written.count, 1)
        checkSuperPacket(written[0], ipv6: false, udp: true, mss: 1200, headers: 28)
        XCTAssertEqual(try cut(written[0]), originals)
        let v6 = (0..<3).map { packet(ipv6: true, udp: true, index: $0, payload: 1200) }
        let written6 = coalesce(v6, udp: true)
        XCTAssertEqual(written6.count, 1)
        checkSuperPacket(written6[0], ipv6: true, udp: true, mss: 1200, headers: 48)
        XCTAssertEqual(try cut(written6[0]), v6)
    }

    func testInterleavedFlowsEachMergeAndKeepTheirOrder() throws {
        let a = (0..<3).map { packet(index: $0, payload: 1000) }
        let b = (0..<3).map { packet(index: $0, payload: 1000, ack: 99) }  // another ack: another flow
        let written = coalesce([a[0], b[0], a[1], b[1], a[2], b[2]])
        XCTAssertEqual(written.count, 2)
        XCTAssertEqual(try cut(written[0]), a)
        XCTAssertEqual(try cut(written[1]), b)
    }

    func testRunsStopAtTheSegmentLimit() throws {
        let originals = (0..<70).map { packet(index: $0, payload: 100, mss: 100) }
        let written = coalesce(originals)
        XCTAssertEqual(written.count, 2)
        XCTAssertEqual(try cut(written[0]), Array(originals[0..<64]))
        XCTAssertEqual(try cut(written[1]), Array(originals[64...]))
    }

    // MARK: what must not merge

    /// Written alone: the packet unchanged behind an all-zero virtio header.
    private func assertAlone(_ written: [[UInt8]], _ originals: [[UInt8]], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(written.count, originals.count, file: file, line: line)
        for (w, o) in zip(written, originals) {
            XCTAssertEqual(Array(w[0..<10]), [UInt8](repeating: 0, count: 10), file: file, line: line)
            XCTAssertEqual(Array(w[10...]), o, file: file, line: line)
        }
    }

    func testRefusals() {
        let p0 = packet(index: 0, payload: 1000)
        assertAlone(coalesce([p0, packet(index: 2, payload: 1000)]), [p0, packet(index: 2, payload: 1000)])  // a gap
        assertAlone(coalesce([p0, packet(index: 1, payload: 1000, ack: 7)]), [p0, packet(index: 1, payload: 1000, ack: 7)])
        assertAlone(coalesce([p0, packet(index: 1, payload: 1000, ttl: 63)]), [p0, packet(index: 1, payload: 1000, ttl: 63)])
        for flags: UInt8 in [0x11, 0x12, 0x14, 0x30, 0x50, 0x90] {  // FIN, SYN, RST, URG, ECE, CWR
            let odd = packet(index: 1, payload: 1000, flags: flags)
            assertAlone(coalesce([p0, odd]), [p0, odd])
        }
        let options = packet(index: 1, payload: 1000, options: [1, 1, 1, 1])
        assertAlone(coalesce([p0, options]), [p0, options])
        let larger = packet(index: 1, payload: 1001)
        assertAlone(coalesce([p0, larger]), [p0, larger])
        // A PSH packet may end a run but not start one.
        let pushed = packet(index: 0, payload: 1000, flags: 0x18)
        assertAlone(coalesce([pushed, packet(index: 1, payload: 1000)]), [pushed, packet(index: 1, payload: 1000)])
        // Not TCP or UDP, and an empty ACK.
        var icmp = packet(index: 0, payload: 56); icmp[9] = 1
        let bareAck = packet(index: 0, payload: 0)
        assertAlone(coalesce([icmp, icmp, bareAck, bareAck]), [icmp, icmp, bareAck, bareAck])
    }

    func testShortSegmentEndsTheRun() throws {
        let run = [packet(index: 0, payload: 1000), packet(index: 1, payload: 1000), packet(index: 2, payload: 400)]
        let after = packet(index: 2, payload: 1000, sequenceOffset: 400)
        let written = coalesce(run + [after])
        XCTAssertEqual(written.count, 2)
        XCTAssertEqual(try cut(written[0]), run)
        assertAlone([written[1]], [after])
    }

    /// A damaged packet is written alone (the kernel drops it), and never blesses a run with NEEDS_CSUM.
    func testBadChecksumsAreNeverMerged() {
        var bad = packet(index: 1, payload: 1000)
        bad[100] ^= 0x40
        let run = [packet(index: 0, payload: 1000), bad, packet(index: 2, payload: 1000)]
        assertAlone(coalesce(run), run)
        var badHead = packet(index: 0, payload: 1000)
        badHead[10] ^= 1  // IPv4 header checksum
        assertAlone(coalesce([badHead, packet(index: 1, payload: 1000)]), [badHead, packet(index: 1, payload: 1000)])
    }

    func testCountsAndRefusedWrites() {
        let c = TunCoalescer()
        let arena = Arena(), out = Collector()
        out.refuse = true
        for i in 0..<4 { let p = packet(index: i, payload: 1000); c.add(arena.place(p), length: p.count, flushingTo: out) }
        var icmp = packet(index: 0, payload: 56); icmp[9] = 1
        c.add(arena.place(icmp), length: icmp.count, flushingTo: out)
        c.flush(to: out)
        let n = c.counts
        XCTAssertEqual([n.writes, n.packets, n.superPackets, n.coalescedSegments, n.droppedWrites, n.droppedPackets],
                       [2, 5, 1, 4, 2, 5])
        XCTAssertEqual(c.count, 0)
    }

    /// `pendingPackets` counts every packet taken (merged or not) and a flush empties it: the data path writes
    /// early on it (ForwardingCore.deliveryBurst), so a received batch never floods a local socket at once.
    func testPendingPacketsCountsEverySegmentUntilTheFlush() {
        let c = TunCoalescer(coalescesUDP: true)
        let arena = Arena(), out = Collector()
        for i in 0..<5 { let p = packet(udp: true, index: i, payload: 1000); c.add(arena.place(p), length: p.count, flushingTo: out) }
        var icmp = packet(index: 0, payload: 56); icmp[9] = 1
        c.add(arena.place(icmp), length: icmp.count, flushingTo: out)
        XCTAssertEqual([c.pendingPackets, c.count], [6, 2])
        XCTAssertTrue(out.packets.isEmpty)
        c.flush(to: out)
        XCTAssertEqual([c.pendingPackets, c.count, out.packets.count], [0, 0, 2])
    }

    /// More pending packets than the coalescer holds: it writes early, and loses nothing.
    func testOverflowWritesEarly() throws {
        let c = TunCoalescer(capacity: 8, slots: 2, flows: 2)
        var icmp = packet(index: 0, payload: 56); icmp[9] = 1
        let run = (0..<6).map { packet(index: $0, payload: 1000) }
        let written = coalesce(Array(repeating: icmp, count: 10) + run, coalescer: c)
        XCTAssertEqual(written.filter { $0[1] == 0 }.count, 10)
        let supers = written.filter { $0[1] != 0 }
        XCTAssertEqual(try supers.flatMap { try cut($0) }, run)
    }
}

/// The fast ones' complement sum (64-bit native words, end-around carry, swapped back) against the slow one.
final class OnesComplementSumTests: XCTestCase {
    func testMatchesSixteenBitWordsForEveryLengthAndOffset() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let allOnes = [UInt8](repeating: 0xff, count: 300)  // the most carries
        for data in [bytes, allOnes] {
            data.withUnsafeBytes { raw in
                for offset in 0..<3 {
                    for count in 0...(data.count - offset) {
                        var slow: UInt64 = 0x1_2345
                        var i = offset
                        while i + 1 < offset + count { slow += UInt64(data[i]) << 8 | UInt64(data[i + 1]); i += 2 }
                        if i < offset + count { slow += UInt64(data[i]) << 8 }
                        let fast = TunOffload.onesComplementSum(raw.baseAddress! + offset, count: count, initial: 0x1_2345)
                        XCTAssertEqual(TunOffload.fold(fast), TunOffload.fold(slow), "offset \(offset), \(count) bytes")
                    }
                }
            }
        }
    }
}
