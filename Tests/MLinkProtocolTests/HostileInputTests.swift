import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Authentic-but-hostile input: what a listed peer, or someone replaying captured datagrams, can and cannot do.
final class HostileInputTests: XCTestCase {
    /// A transport message sealed under `session` (as its owner would send it), with a counter far ahead.
    private func sealed(_ session: Session, type: WireFormat.MessageType, pathID: UInt16, counter: UInt64,
                        payload: [UInt8]) -> [UInt8] {
        var message = [UInt8](repeating: 0, count: 28 + payload.count + 16)
        TransportHeader(type: type, pathID: pathID, receiverIndex: session.remoteIndex, counter: counter,
                        pathSequence: 0).write(toBytes: &message)
        message.replaceSubrange(28..<(28 + payload.count), with: payload)
        message.withUnsafeMutableBytes { session.seal(header: $0.baseAddress!, payloadLength: payload.count) }
        return message
    }

    /// A dead path stays down while someone replays that path's recorded datagrams into it.
    func testReplaysDoNotKeepADeadPathAlive() throws {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm2, source: Seed.vm2Address, destination: Seed.vm0Address, sequences: 0..<20)
        let recorded = net.wire(0).carried.filter { $0.fromNode == Seed.router && $0.bytes[0] >= 4 }
        XCTAssertFalse(recorded.isEmpty)
        net.wire(0).isCut = true
        for _ in 0..<20 {
            for datagram in recorded { net.inject(datagram.bytes, to: Seed.vm0, slot: 0, from: datagram.source) }
            net.advance(by: 50 * Time.millisecond)
        }
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0000)?.state, .down, "replays kept a cut path up")
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .up)
    }

    /// A host never sends probe replies to a router that sends no requests: one arriving there is dropped
    /// (its clock field would otherwise feed the router's arithmetic), and extreme clocks never trap anywhere.
    func testProbeRepliesToARouterAreDroppedAndClocksNeverTrap() throws {
        let net = Seed.establishedNetwork()
        let session = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session)
        var payload = [UInt8](repeating: 0, count: 24)
        payload[0] = 2
        payload.putLE(UInt64.max, at: 16)
        let before = net.router.globalDrops.malformed
        net.inject(sealed(session, type: .probe, pathID: 0, counter: session.sendCounter + 100, payload: payload),
                   to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.2:40000"))
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.malformed, before + 1)
        var statistics = PathStatistics()
        for (forward, reverse) in [(Int64.max, Int64.min), (Int64.min, Int64.max), (0, 0), (Int64.max, Int64.max)] {
            statistics.addDelaySamples(forward: forward, reverse: reverse)
        }
    }

    /// A listed host inventing path ids cannot grow the router's connection table past the limit.
    func testAListedHostCannotInflateTheRoutersConnectionTable() throws {
        let net = Seed.establishedNetwork()
        let session = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session)
        var payload = [UInt8](repeating: 0, count: 24)
        payload[0] = 1
        for i in 0..<100 as Range<UInt64> {
            let message = sealed(session, type: .probe, pathID: UInt16(0x0010 + i), counter: session.sendCounter + 100 + i,
                                 payload: payload)
            net.inject(message, to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.2:40000"))
        }
        net.advance(by: Time.millisecond)
        let peer = net.router.peers[Seed.routerPeerVM0]
        XCTAssertEqual(peer.connections.count, net.router.configuration.maximumConnectionsPerPeer)
        XCTAssertEqual(peer.counters.pathsRefused, UInt64(100 + 2 - net.router.configuration.maximumConnectionsPerPeer))
    }

    /// Whoever holds the router's key still cannot put arbitrary source addresses into a host's TUN: the host
    /// accepts only sources in the router's allowed-ips (the virtual network here).
    func testAHostAcceptsOnlySourcesInTheRoutersAllowedIPs() throws {
        let net = Seed.establishedNetwork()
        let session = try XCTUnwrap(net.router.peers[Seed.routerPeerVM0].session)
        let forged = Fixture.ipv4Packet(source: "8.8.8.8", destination: Seed.vm0Address, sequence: 1)
        let fine = Fixture.ipv4Packet(source: Seed.vm2Address, destination: Seed.vm0Address, sequence: 2)
        for (i, packet) in [forged, fine].enumerated() {
            net.inject(sealed(session, type: .data, pathID: 0, counter: session.sendCounter + 100 + UInt64(i), payload: packet),
                       to: Seed.vm0, slot: 0, from: Seed.routerSlots[0]!)
        }
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm0].deliveredSequences, [2])
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.sourceRejected, 1)
    }

    /// Authentic router packets re-sent from ever new addresses make the host follow one learned path per link,
    /// never a growing list of addresses it would probe.
    func testAHostLearnsAtMostOneUnexpectedRouterAddressPerLink() throws {
        let net = Seed.establishedNetwork()
        let session = try XCTUnwrap(net.router.peers[Seed.routerPeerVM0].session)
        var payload = [UInt8](repeating: 0, count: 24)
        payload[0] = 1
        for i in 0..<10 as Range<UInt64> {
            net.inject(sealed(session, type: .probe, pathID: 0, counter: session.sendCounter + 100 + i, payload: payload),
                       to: Seed.vm0, slot: 0, from: Fixture.socket("192.168.0.\(100 + i):7000"))
        }
        net.advance(by: Time.millisecond)
        let learned = net.routerPeer(of: Seed.vm0).connections.filter { $0.pathID & 0xff == 0xff }
        XCTAssertEqual(learned.count, 1)
        XCTAssertEqual(learned.first?.remote, Fixture.socket("192.168.0.109:7000"), "moved to the newest")
    }
}
