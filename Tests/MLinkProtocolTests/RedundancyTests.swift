import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Redundant forwarding vm0 -> router -> vm2: every packet on every link, delivered exactly once.
final class RedundancyTests: XCTestCase {
    private func streamToVM2(_ net: FakeNetwork, _ sequences: Range<UInt64>, before: ((UInt64) -> Void)? = nil) {
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: sequences,
                   before: before)
        net.advance(by: 50 * Time.millisecond)
    }

    func testEachPacketIsDeliveredExactlyOnceAndDuplicatesAreCounted() {
        let net = Seed.establishedNetwork()
        streamToVM2(net, 0..<100)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<100))
        XCTAssertEqual(net.nodes[Seed.vm2].tun.first,
                       Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address, sequence: 0),
                       "the inner packet arrives byte for byte")
        XCTAssertTrue(net.nodes[Seed.vm0].tun.isEmpty && net.nodes[Seed.router].tun.isEmpty)

        let data = net.sentTransport(by: Seed.vm0, type: .data)
        XCTAssertEqual(data.count, 200, "one copy per link")
        XCTAssertEqual(Set(data.map { $0.bytes.le16(2) }), SessionSetupTests.wiredPaths)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.sent, 100, "a packet counts once, whatever its copies")

        let fromVM0 = net.router.peers[Seed.routerPeerVM0].counters
        XCTAssertEqual(fromVM0.delivered, 100)
        XCTAssertEqual(fromVM0.duplicates, 100, "one extra copy per packet")
        XCTAssertEqual(fromVM0.forwarded, 100)
        XCTAssertEqual(fromVM0.tooOld, 0)
        let connections = net.router.peers[Seed.routerPeerVM0].connections
        XCTAssertEqual(connections.map(\.statistics.deliveredFirst).reduce(0, +), 100)
        XCTAssertEqual(connections.map(\.statistics.duplicates).reduce(0, +), 100)

        XCTAssertEqual(net.router.peers[Seed.routerPeerVM2].counters.sent, 100)
        XCTAssertEqual(net.sentTransport(by: Seed.router, type: .data).count, 200, "the router sends one copy per vm2 link")
        let atVM2 = net.routerPeer(of: Seed.vm2).counters
        XCTAssertEqual(atVM2.delivered, 100)
        XCTAssertEqual(atVM2.duplicates, 100)
        XCTAssertEqual(atVM2.tooOld, 0)
    }

    func testTrafficFlowsBothWaysAndToTheRouterItself() {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm2, source: Seed.vm2Address, destination: Seed.vm0Address, sequences: 0..<50)
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.routerAddress, sequences: 1000..<1010)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm0].deliveredSequences, Array(0..<50))
        XCTAssertEqual(net.nodes[Seed.router].deliveredSequences, Array(1000..<1010))
        XCTAssertTrue(net.nodes[Seed.vm2].tun.isEmpty)
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.forwarded, 0, "for the router itself: delivered")
    }

    func testCuttingOneOfTheSendersLinksMidStreamLosesNothing() {
        let net = Seed.establishedNetwork()
        streamToVM2(net, 0..<200) { if $0 == 50 { net.wire(0).isCut = true } }
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<200))
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0000)?.state, .down)
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .up)
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000)?.state, .down)
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0101)?.state, .up)
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.duplicates, 50, "duplicates stop with the cut")
    }

    func testCuttingOneOfTheReceiversLinksMidStreamLosesNothing() {
        let net = Seed.establishedNetwork()
        streamToVM2(net, 0..<200) { if $0 == 50 { net.wire(3).isCut = true } }
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<200))
        XCTAssertEqual(net.connection(of: Seed.vm2, pathID: 0x0101)?.state, .down)
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM2, remotePathID: 0x0101)?.state, .down)
        XCTAssertEqual(net.routerPeer(of: Seed.vm2).counters.duplicates, 50)
    }

    /// Both of vm0's links lose packets (every 3rd datagram on net0, every 4th on net1, probes included): vm2
    /// gets exactly the packets that survived on at least one link, and each path measures its own loss.
    func testLossyLinksDeliverWhatSurvivedOnAnyLink() {
        let net = Seed.establishedNetwork()
        net.wire(0).drop = { ordinal, _ in ordinal % 3 == 0 }
        net.wire(1).drop = { ordinal, _ in ordinal % 4 == 0 }
        let start = net.sent.count
        streamToVM2(net, 0..<300)

        func survivors(_ wire: UInt8) -> Set<UInt64> {
            Set(net.wire(wire).carried.filter { $0.fromNode == Seed.vm0 && $0.bytes[0] == 4 }
                .compactMap { net.plaintext(of: $0) }
                .compactMap { Fixture.sequence(ofInner: Array($0[28..<($0.count - 16)])) })
        }
        let net0 = survivors(0), net1 = survivors(1)
        let expected = net0.union(net1)
        XCTAssertLessThan(expected.count, 300, "the patterns make some packets die on both links")
        XCTAssertGreaterThan(expected.count, max(net0.count, net1.count))
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, expected.sorted())
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.duplicates, UInt64(net0.intersection(net1).count))

        // Per-path loss, from the path sequence numbers: the gaps the router saw on vm0's path over net0.
        let onNet0 = net.sent[start...].filter {
            $0.fromNode == Seed.vm0 && $0.slot == 0 && $0.bytes[0] >= 4 && $0.destination == Seed.routerSlots[0]
        }
        let carried = Set(net.wire(0).carried.filter { $0.fromNode == Seed.vm0 && $0.bytes[0] >= 4 }.map { $0.bytes.le32(16) })
        let highest = carried.max()!
        let lost = onNet0.filter { !carried.contains($0.bytes.le32(16)) && $0.bytes.le32(16) < highest }.count
        XCTAssertGreaterThan(lost, 0)
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000)?.statistics.lostEstimate,
                       UInt64(lost))
    }

    func testAReplayedDatagramIsNotDeliveredAgain() throws {
        let net = Seed.establishedNetwork()
        streamToVM2(net, 0..<10)
        let toRouter = try XCTUnwrap(net.sentTransport(by: Seed.vm0, type: .data).last)
        let toVM2 = try XCTUnwrap(net.sentTransport(by: Seed.router, type: .data).last)
        let routerBefore = net.router.peers[Seed.routerPeerVM0].counters
        let vm2Before = net.routerPeer(of: Seed.vm2).counters

        net.inject(toRouter.bytes, to: Seed.router, slot: toRouter.destination == Seed.routerSlots[0] ? 0 : 1,
                   from: toRouter.source)
        net.inject(toVM2.bytes, to: Seed.vm2, slot: toVM2.destination.port == 40000 ? 0 : 1, from: toVM2.source)
        net.advance(by: 10 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].tun.count, 10)
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.duplicates, routerBefore.duplicates + 1)
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.forwarded, routerBefore.forwarded)
        XCTAssertEqual(net.routerPeer(of: Seed.vm2).counters.duplicates, vm2Before.duplicates + 1)

        // Much later, the same bytes are still refused (too old by now, or a duplicate).
        net.advance(by: 5 * Time.second)
        let late = net.router.peers[Seed.routerPeerVM0].counters
        net.inject(toRouter.bytes, to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.2:40000"))
        net.advance(by: 10 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].tun.count, 10)
        let after = net.router.peers[Seed.routerPeerVM0].counters
        XCTAssertEqual(after.duplicates + after.tooOld, late.duplicates + late.tooOld + 1)
        XCTAssertEqual(after.forwarded, late.forwarded)
    }

    /// A captured datagram replayed from another address must not redirect the router's traffic there: only a
    /// packet with a new counter proves where the peer is now (WireGuard updates endpoints after the replay check).
    func testAReplayFromAnotherAddressDoesNotMoveTheConnection() throws {
        let net = Seed.establishedNetwork()
        streamToVM2(net, 0..<10)
        let captured = try XCTUnwrap(net.sentTransport(by: Seed.vm0, type: .data).last { $0.slot == 0 })
        let attacker = Fixture.socket("192.168.0.66:9999")
        net.inject(captured.bytes, to: Seed.router, slot: 0, from: attacker)
        net.advance(by: 0)  // the replay only: no tick, so no genuine probe follows it yet
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.duplicates, 11)
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000)?.remote,
                       Fixture.socket("192.168.0.2:40000"))
        let before = net.sent.count
        net.transmit(from: Seed.vm2, packet: Fixture.ipv4Packet(source: Seed.vm2Address, destination: Seed.vm0Address,
                                                                sequence: 7))
        net.advance(by: 0)
        XCTAssertFalse(net.sent[before...].contains { $0.destination == attacker }, "traffic for vm0 sent to the replayer")
        XCTAssertEqual(net.nodes[Seed.vm0].deliveredSequences, [7])
    }

    /// A router moves a connection when authenticated, new traffic arrives from a new address (NAT rebinding).
    func testRouterFollowsARebindingPeer() throws {
        let net = Seed.establishedNetwork()
        let session = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session)
        var message = [UInt8](repeating: 0, count: 28 + 24 + 16)
        TransportHeader(type: .probe, pathID: 0x0000, receiverIndex: session.remoteIndex, counter: 1 << 40,
                        pathSequence: 1 << 20).write(toBytes: &message)
        message[28] = 1
        message.putLE(net.now, at: 36)
        message.withUnsafeMutableBytes { session.seal(header: $0.baseAddress!, payloadLength: 24) }
        let rebound = Fixture.socket("192.168.0.2:41234")
        net.inject(message, to: Seed.router, slot: 0, from: rebound)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000)?.remote, rebound)
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].connections.count, 2, "moved, not added")
        XCTAssertTrue(net.sent.contains { $0.fromNode == Seed.router && $0.destination == rebound }, "probe answered there")
    }

    func testInnerSourceOutsideAllowedIPsIsRejected() {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm0, source: "10.77.0.99", destination: Seed.vm2Address, sequences: 0..<3)
        net.stream(from: Seed.vm0, source: Seed.vm2Address, destination: Seed.vm2Address, sequences: 3..<5)
        net.advance(by: 50 * Time.millisecond)
        let counters = net.router.peers[Seed.routerPeerVM0].counters
        XCTAssertEqual(counters.sourceRejected, 5)
        XCTAssertEqual(counters.forwarded, 0)
        XCTAssertTrue(net.nodes[Seed.vm2].tun.isEmpty)
        XCTAssertTrue(net.nodes[Seed.router].tun.isEmpty)
        XCTAssertTrue(net.sentTransport(by: Seed.router, type: .data).isEmpty)
    }

    func testUnroutableInnerDestinationIsCountedAtTheRouter() {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: "10.77.0.77", sequences: 0..<4)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.noRoute, 4)
        XCTAssertTrue(net.sentTransport(by: Seed.router, type: .data).isEmpty)
    }

    func testNothingIsPlannedBeforeASessionExists() {
        let net = Seed.network()
        let packet = Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address, sequence: 1)
        XCTAssertEqual(net.transmit(from: Seed.vm0, packet: packet), 0)
        XCTAssertEqual(net.vm0.staging.total, 1, "kept for the session (StagingTests)")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.sent, 0)
    }
}

extension TransportHeader {
    func write(toBytes bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { write(to: $0.baseAddress!) }
    }
}
