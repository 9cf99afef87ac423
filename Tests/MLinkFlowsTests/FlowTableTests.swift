import MLinkFlows
import MLinkTypes
import XCTest

final class FlowTableTests: XCTestCase {
    private func observe(_ table: FlowTable, _ packet: [UInt8], at now: UInt64) -> Int? {
        packet.withUnsafeBytes { table.observe($0.baseAddress!, length: packet.count, now: now) }
    }

    func testHeadersOfIPv4AndIPv6() throws {
        let v4 = Shapes.udp4([1, 2], sourcePort: 1234, destinationPort: 5678, dscp: 46)
        let h4 = try XCTUnwrap(v4.withUnsafeBytes { PacketHeaders.parse($0.baseAddress!, length: v4.count) })
        XCTAssertEqual(h4.key, FlowKey(source: Shapes.host, destination: Shapes.peer, sourcePort: 1234, destinationPort: 5678, proto: 17))
        XCTAssertEqual(h4.dscp, 46)
        XCTAssertEqual(h4.payloadOffset, 28)
        // IPv6 with a destination-options header before TCP.
        var v6 = [UInt8](repeating: 0, count: 40 + 8 + 20)
        v6[0] = 0x6b; v6[1] = 0x80  // traffic class 0xb8: DSCP 46
        v6[6] = 60; v6[7] = 64
        v6[8] = 0xfd; v6[23] = 1; v6[24] = 0xfd; v6[39] = 2
        v6[40] = 6; v6[41] = 0  // next header TCP, 8 bytes
        v6[48] = 0x1f; v6[49] = 0x90; v6[50] = 0x00; v6[51] = 0x50; v6[60] = 5 << 4; v6[61] = 0x02
        let h6 = try XCTUnwrap(v6.withUnsafeBytes { PacketHeaders.parse($0.baseAddress!, length: v6.count) })
        XCTAssertEqual(h6.key.proto, 6)
        XCTAssertEqual(h6.key.sourcePort, 8080)
        XCTAssertEqual(h6.key.destinationPort, 80)
        XCTAssertEqual(h6.tcpFlags, 0x02)
        XCTAssertEqual(h6.dscp, 46)
        XCTAssertEqual(h6.key.destination, IPAddress("fd00::2"))
        // A later IPv4 fragment is keyed by its IP ID.
        var fragment = Shapes.udp4([9, 9, 9])
        fragment[4] = 0x12; fragment[5] = 0x34; fragment[7] = 0x10
        let hf = try XCTUnwrap(fragment.withUnsafeBytes { PacketHeaders.parse($0.baseAddress!, length: fragment.count) })
        XCTAssertTrue(hf.isLaterFragment)
        XCTAssertEqual(hf.key.destinationPort, 0x1234)
        // Truncated or not IP.
        for bad in [[UInt8](), [0x45, 0, 0], [UInt8](repeating: 0, count: 40), Array(v6.prefix(44))] {
            XCTAssertNil(bad.withUnsafeBytes { $0.baseAddress.flatMap { PacketHeaders.parse($0, length: bad.count) } }, "\(bad.count) bytes")
        }
    }

    func testOneSlotPerFlowAndIdleSlotsAreReused() throws {
        let table = FlowTable(capacity: 64, idleTimeout: 1_000_000_000, seed: 9)
        let a = try XCTUnwrap(observe(table, Shapes.udp4([1], destinationPort: 1000), at: 1))
        let b = try XCTUnwrap(observe(table, Shapes.udp4([1], destinationPort: 1001), at: 2))
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(observe(table, Shapes.udp4([1], destinationPort: 1000), at: 3), a)
        XCTAssertEqual(table.entries[a].packets, 2)
        XCTAssertEqual(table.liveCount(now: 4), 2)
        // After the idle timeout the tuple starts as a new flow.
        XCTAssertEqual(observe(table, Shapes.udp4([1], destinationPort: 1000), at: 2_000_000_000), a)
        XCTAssertEqual(table.entries[a].packets, 1)
        XCTAssertEqual(table.liveCount(now: 2_000_000_001), 1)
    }

    func testTheTableIsBoundedAndEvictsTheLeastRecentlySeen() throws {
        let table = FlowTable(capacity: 64, seed: 10)
        for port in 0..<1000 { _ = observe(table, Shapes.udp4([1], destinationPort: UInt16(port)), at: UInt64(port + 1)) }
        XCTAssertEqual(table.entries.count, 64)
        XCTAssertEqual(table.liveCount(now: 1001), 64)
        XCTAssertGreaterThanOrEqual(table.evictions, 1000 - 64)
        // The newest flows survive; an evicted one comes back as new.
        let newest = try XCTUnwrap(observe(table, Shapes.udp4([1], destinationPort: 999), at: 1002))
        XCTAssertEqual(table.entries[newest].packets, 2)
    }

    func testRulesMatchInOrderAndFollowReclassification() throws {
        var voice = FlowMatch()
        voice.detect = [.rtpAudio]
        var toServer = FlowMatch()
        toServer.destinations = [IPNetwork("10.77.0.0/24")!]
        toServer.protocols = [17]
        toServer.ports = [50000...50010]
        let rules = FlowRuleSet([voice, toServer, FlowMatch()])
        let table = FlowTable(seed: 11)
        var now: UInt64 = 0
        var slot = 0
        slot = try XCTUnwrap(observe(table, Shapes.udp4(Shapes.rtp(sequence: 1, payload: 160)), at: now))
        XCTAssertEqual(rules.rule(for: slot, in: table), 1, "not yet known as RTP: the port rule")
        XCTAssertEqual(rules.rule(for: slot, in: table), 1, "cached")
        for n in 2..<6 {
            now += 20_000_000
            slot = try XCTUnwrap(observe(table, Shapes.udp4(Shapes.rtp(sequence: UInt16(n), payload: 160)), at: now))
        }
        XCTAssertEqual(rules.rule(for: slot, in: table), 0, "reclassified as RTP audio: the first rule")
        let tcp = try XCTUnwrap(observe(table, Shapes.tcp4(size: 60), at: now))
        XCTAssertEqual(rules.rule(for: tcp, in: table), 2, "the catch-all")
        let other = FlowTable(seed: 12)
        let tcp2 = try XCTUnwrap(observe(other, Shapes.tcp4(size: 60), at: now))
        XCTAssertNil(FlowRuleSet([voice]).rule(for: tcp2, in: other), "no rule matches")
    }
}
