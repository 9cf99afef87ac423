import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// The hello exchange and the messages of wire format v1, between engines on the in-memory seed network.
final class SessionSetupTests: XCTestCase {
    /// Path ids of the hosts' connections that have a wire (link 0 to endpoint 0, link 1 to endpoint 1).
    static let wiredPaths: Set<UInt16> = [0x0000, 0x0101]

    func testSessionsComeUpOnEveryWiredConnectionWithinAFewTicks() throws {
        let net = Seed.network()
        net.advance(by: 30 * Time.millisecond)
        for host in [Seed.vm0, Seed.vm2] {
            let router = net.routerPeer(of: host)
            let session = try XCTUnwrap(router.session, "\(net.nodes[host].name) has a session")
            XCTAssertEqual(router.counters.handshakes, 1)
            XCTAssertEqual(router.connections.count, 4, "2 links x 2 router endpoints")
            for connection in router.connections {
                let expected: Connection.State = Self.wiredPaths.contains(connection.pathID) ? .up : .probing
                XCTAssertEqual(connection.state, expected, "\(net.nodes[host].name) path \(connection.pathID)")
            }
            let peerOnRouter = net.router.peers[host == Seed.vm0 ? Seed.routerPeerVM0 : Seed.routerPeerVM2]
            let routerSession = try XCTUnwrap(peerOnRouter.session)
            XCTAssertEqual(routerSession.remoteIndex, session.localIndex)
            XCTAssertEqual(session.remoteIndex, routerSession.localIndex)
            XCTAssertEqual(peerOnRouter.counters.handshakes, 1, "hellos on several paths make one session")
            XCTAssertEqual(Set(peerOnRouter.connections.map(\.remotePathID)), Self.wiredPaths)
            XCTAssertTrue(peerOnRouter.connections.allSatisfy { $0.state == .up })
        }
        XCTAssertEqual(Set(net.router.peers[Seed.routerPeerVM0].connections.map(\.slot)), [0, 1])
        XCTAssertEqual(Set(net.router.peers[Seed.routerPeerVM2].connections.map(\.slot)), [2, 3])
        XCTAssertEqual(net.unroutable, 4, "each host's two crossed paths (link 0 to endpoint 1 ...) have no wire")
    }

    func testProbesFlowOnWiredPathsOnly() throws {
        let net = Seed.establishedNetwork()
        net.advance(by: 2 * Time.second)
        for connection in net.routerPeer(of: Seed.vm0).connections {
            XCTAssertGreaterThanOrEqual(connection.statistics.probesSent, 9, "every path is probed")
            if Self.wiredPaths.contains(connection.pathID) {
                XCTAssertEqual(connection.state, .up)
                XCTAssertGreaterThanOrEqual(connection.statistics.probeRepliesReceived, 8)
                XCTAssertEqual(connection.statistics.lostEstimate, 0)
            } else {
                XCTAssertEqual(connection.state, .probing)
                XCTAssertEqual(connection.statistics.probeRepliesReceived, 0)
                XCTAssertEqual(connection.statistics.rxPackets, 0)
            }
        }
        for connection in net.router.peers[Seed.routerPeerVM0].connections {
            XCTAssertEqual(connection.state, .up)
            XCTAssertEqual(connection.statistics.lostEstimate, 0)
            XCTAssertEqual(connection.statistics.duplicates, 0, "probes carry their own counters")
        }
        XCTAssertEqual(net.router.globalDrops, TunnelEngine.GlobalDrops())
        XCTAssertEqual(net.vm0.globalDrops, TunnelEngine.GlobalDrops())
    }

    /// The hello, hello reply, probe and probe reply bytes, field by field, as docs/PROTOCOL.md specifies them.
    func testMessageLayouts() throws {
        let net = Seed.network()
        net.advance(by: 300 * Time.millisecond)
        let hello = try XCTUnwrap(net.sent.first { $0.fromNode == Seed.vm0 && $0.slot == 0 && $0.bytes[0] == 1 }).bytes
        let index = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session?.localIndex)
        XCTAssertEqual(hello.count, 48)
        XCTAssertEqual(hello[1], 0)
        XCTAssertEqual(hello.le16(2), 0x0000, "link 0, path 0")
        XCTAssertEqual(hello.le32(4), index)
        XCTAssertEqual(Array(hello[8..<40]), Seed.vm0Key.bytes)
        XCTAssertEqual(hello.le64(40), Time.second + 10 * Time.millisecond, "the time of the first tick")

        let reply = try XCTUnwrap(net.sent.first {
            $0.fromNode == Seed.router && $0.bytes[0] == 2 && $0.destination == Fixture.socket("192.168.0.2:40000")
        })
        let routerSession = try XCTUnwrap(net.router.peers[Seed.routerPeerVM0].session)
        XCTAssertEqual(reply.bytes.count, 24)
        XCTAssertEqual(reply.bytes[1], 0)
        XCTAssertEqual(reply.bytes.le16(2), 0x0000, "the router's path id: its link 0, first path")
        XCTAssertEqual(reply.bytes.le32(4), routerSession.localIndex)
        XCTAssertEqual(reply.bytes.le32(8), index)
        XCTAssertEqual(reply.bytes.le64(12), hello.le64(40), "echoed timestamp")
        XCTAssertEqual(Array(reply.bytes[20..<24]), [0, 0, 0, 0])
        XCTAssertEqual(reply.source, Seed.routerSlots[0], "answered from the address the hello came to")

        let probe = try XCTUnwrap(net.sentTransport(by: Seed.vm0, type: .probe).first { $0.slot == 1 && $0.bytes.le16(2) == 0x0101 })
        XCTAssertEqual(probe.bytes.count, 24 + 16 + 16)
        XCTAssertEqual(probe.bytes[1], 0)
        XCTAssertEqual(probe.bytes.le32(4), routerSession.localIndex, "receiver index")
        XCTAssertGreaterThan(probe.bytes.le64(8), 0, "counter")
        XCTAssertEqual(probe.bytes.le32(16), 0, "first path sequence")
        XCTAssertEqual(Array(probe.bytes[20..<24]), [0, 0, 0, 0])
        XCTAssertEqual(probe.bytes[24], 1, "probe request")
        XCTAssertEqual(Array(probe.bytes[25..<32]), [0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(probe.bytes.le64(32), Time.second + 260 * Time.millisecond, "the sender's clock")
        XCTAssertEqual(Array(probe.bytes[40..<56]), [UInt8](repeating: 0, count: 16), "v1 placeholder tag")

        let probeReply = try XCTUnwrap(net.sentTransport(by: Seed.router, type: .probe).first { $0.bytes.le64(32) == probe.bytes.le64(32) && $0.slot == 1 })
        XCTAssertEqual(probeReply.bytes.count, 56)
        XCTAssertEqual(probeReply.bytes.le32(4), index)
        XCTAssertEqual(probeReply.bytes.le16(2) >> 8, 1, "the router's link 1")
        XCTAssertEqual(probeReply.bytes[24], 2, "probe reply")
        XCTAssertEqual(probeReply.destination, Fixture.socket("192.168.1.2:40001"))

        // Probes and data share the session counter: every message of a session has its own.
        let counters = net.sent.filter { $0.fromNode == Seed.vm0 && $0.bytes[0] >= 4 }.map { $0.bytes.le64(8) }
        XCTAssertEqual(Set(counters).count, counters.count)
    }

    func testHelloWithAnUnknownKeyIsDroppedSilently() {
        let net = Seed.establishedNetwork()
        var hello = [UInt8](repeating: 0, count: 48)
        hello[0] = 1
        hello.putLE(UInt32(0x1234_5678), at: 4)
        hello.replaceSubrange(8..<40, with: Fixture.key(99).bytes)
        hello.putLE(UInt64(5), at: 40)
        let sentBefore = net.sent.count
        let connectionsBefore = net.router.peers.map(\.connections.count)
        net.inject(hello, to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.99:5555"))
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.unknownKey, 1)
        XCTAssertEqual(net.router.peers.map(\.connections.count), connectionsBefore)
        XCTAssertFalse(net.sent[sentBefore...].contains { $0.fromNode == Seed.router }, "no answer at all")
    }

    func testHelloOfTheWrongSizeOrToAHostIsMalformed() throws {
        let net = Seed.establishedNetwork()
        var hello = try XCTUnwrap(net.sent.first { $0.fromNode == Seed.vm0 && $0.bytes[0] == 1 }).bytes
        net.inject(Array(hello[0..<47]), to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.2:40000"))
        net.inject(hello + [0], to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.2:40000"))
        net.inject(hello, to: Seed.vm2, slot: 0, from: Seed.routerSlots[2]!)
        hello[0] = 2
        net.inject(hello, to: Seed.vm2, slot: 0, from: Seed.routerSlots[2]!)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.malformed, 2)
        XCTAssertEqual(net.vm2.globalDrops.malformed, 2)
    }

    func testAStrayHelloReplyDoesNotReplaceTheSession() throws {
        let net = Seed.establishedNetwork()
        let session = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session)
        var reply = [UInt8](repeating: 0, count: 24)
        reply[0] = 2
        reply.putLE(UInt32(0xabcd), at: 4)
        reply.putLE(session.localIndex, at: 8)
        reply.putLE(UInt64(12345), at: 12)
        net.inject(reply, to: Seed.vm0, slot: 0, from: Seed.routerSlots[0]!)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.vm0.globalDrops.unknownSession, 1)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).session?.remoteIndex, session.remoteIndex)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.handshakes, 1)
    }
}
