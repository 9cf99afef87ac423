import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Round-trip measurement by probes, and the choice of connection within a host-side link.
final class ProbeTests: XCTestCase {
    func testProbeRepliesMeasureTheInjectedDelay() throws {
        let net = Seed.network()
        // Probed as busy paths are (an idle one is probed at standby-probe: LinkPolicyTests).
        for node in [Seed.vm0, Seed.vm2] { net.nodes[node].engine.configuration.standbyProbeInterval = 0 }
        net.wire(0).latency = 7 * Time.millisecond
        net.wire(1).latency = 20 * Time.millisecond
        net.wire(2).latency = 3 * Time.millisecond
        net.wire(3).latency = 3 * Time.millisecond
        net.advance(by: 3 * Time.second)
        let fast = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000)).statistics
        let slow = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0101)).statistics
        XCTAssertEqual(fast.smoothedRTT, 14 * Time.millisecond, "twice the one-way delay, exactly")
        XCTAssertEqual(slow.smoothedRTT, 40 * Time.millisecond)
        XCTAssertGreaterThanOrEqual(fast.probeRepliesReceived, 10)
        XCTAssertLessThan(fast.rttVariation, Time.millisecond, "constant samples: the variation decays from 7 ms")
        for path in [0x0000, 0x0101] as [UInt16] {
            XCTAssertEqual(net.connection(of: Seed.vm2, pathID: path)?.statistics.smoothedRTT, 6 * Time.millisecond)
        }
        let reported = Set(net.router.peers[Seed.routerPeerVM0].connections.map { $0.statistics.smoothedRTT / 1000 })
        XCTAssertEqual(reported, [14_000, 40_000], "the router reports the RTT the host measured (in µs steps)")
    }

    /// A probe's echoed timestamp is the sender's own clock: the receiver answers with it unchanged, and adds
    /// its own clock (for the one-way delay trends).
    func testProbeReplyEchoesTheRequestTimestamp() throws {
        let net = Seed.establishedNetwork()
        let hostSession = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session)
        let routerSession = try XCTUnwrap(net.router.peers[Seed.routerPeerVM0].session)
        let requests = net.sentTransport(by: Seed.vm0, type: .probe).compactMap { open($0.bytes, routerSession) }
        let replies = net.sentTransport(by: Seed.router, type: .probe)
            .filter { $0.bytes.le32(4) == hostSession.localIndex }.compactMap { open($0.bytes, hostSession) }
        XCTAssertFalse(replies.isEmpty)
        for reply in replies {
            XCTAssertEqual(reply[28], 2)
            XCTAssertTrue(requests.contains { $0[28] == 1 && $0.le64(36) == reply.le64(36) })
            XCTAssertGreaterThanOrEqual(reply.le64(44), reply.le64(36), "the replier's clock, at or after the request")
        }
    }

    private func open(_ bytes: [UInt8], _ session: Session) -> [UInt8]? {
        session.opened(bytes)
    }

    /// Initiations repeated while the links were dead must not make the first round-trip sample include the
    /// time the links were dead.
    func testFirstRoundTripIsNotInflatedByRepeatedInitiations() throws {
        let net = Seed.network()
        for n in 0...3 as ClosedRange<UInt8> { net.wire(n).latency = 5 * Time.millisecond }
        net.wire(0).isCut = true
        net.wire(1).isCut = true
        net.advance(by: 2 * Time.second)
        XCTAssertNil(net.routerPeer(of: Seed.vm0).session)
        net.wire(0).isCut = false
        net.wire(1).isCut = false
        net.advance(by: 300 * Time.millisecond)
        XCTAssertNotNil(net.routerPeer(of: Seed.vm0).session)
        let rtt = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000)).statistics.smoothedRTT
        XCTAssertLessThan(rtt, 50 * Time.millisecond, "a 10 ms path measured as \(rtt / Time.millisecond) ms")
    }

    /// Two connections on one host link (the router has two addresses on net0): one copy per link, on the
    /// better connection: up beats down, then the lower RTT.
    func testOneCopyPerLinkOnItsBestConnection() throws {
        let net = FakeNetwork()
        let links = [0: Fixture.socket("192.168.0.2:40000"), 1: Fixture.socket("192.168.1.2:40001")]
        let routerSlots = [0: Fixture.socket("192.168.0.3:7000"), 1: Fixture.socket("192.168.0.4:7000"),
                           2: Fixture.socket("192.168.1.3:7000")]
        let host = Seed.hostEngine(key: Seed.vm0Key, address: Seed.vm0Address, links: links,
                                   routerEndpoints: [routerSlots[0]!, routerSlots[1]!, routerSlots[2]!],
                                   indexBase: 0x1000_0000)
        let router = Seed.routerEngine()
        for (slot, local) in routerSlots { router.linkAdded(slot: slot, name: "r\(slot)", local: local) }
        net.addNode("vm0", engine: host, addresses: links)
        net.addNode("vm1", engine: router, addresses: routerSlots)
        net.wire(0).latencyOf = { $0.source.address == routerSlots[1]!.address || $0.destination == routerSlots[1]! ? 2 * Time.millisecond : 9 * Time.millisecond }
        net.advance(by: 2 * Time.second)
        let peer = host.peers[0]
        XCTAssertEqual(peer.connections.filter { $0.state == .up }.count, 3, "0->.3, 0->.4, 1->1.3")

        func plannedPaths() -> Set<UInt16> {
            let packet = Fixture.ipv4Packet(source: Seed.vm0Address, destination: "10.77.0.1", sequence: 1)
            let copies = net.transmit(from: 0, packet: packet)
            return Set(net.sent.suffix(copies).map { $0.bytes.le16(2) })
        }
        XCTAssertEqual(plannedPaths(), [0x0001, 0x0102], "link 0 via the 4 ms path to .4, link 1 via its only path")

        net.wire(0).drop = { _, datagram in
            datagram.source.address == routerSlots[1]!.address || datagram.destination == routerSlots[1]!
        }
        net.advance(by: 1500 * Time.millisecond)
        XCTAssertEqual(peer.connections.first { $0.pathID == 0x0001 }?.state, .down)
        XCTAssertEqual(plannedPaths(), [0x0000, 0x0102], "up beats a lower RTT")
        net.advance(by: 20 * Time.millisecond)
        XCTAssertEqual(net.nodes[1].tun.count, 2)
    }
}
