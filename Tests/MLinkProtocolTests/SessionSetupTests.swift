import MLinkTestSupport
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// The Noise handshake and the messages of wire format 3, between engines on the in-memory seed network.
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
            let routerSession = try XCTUnwrap(peerOnRouter.session, "confirmed by the host's first probes")
            XCTAssertNil(peerOnRouter.nextSession)
            XCTAssertEqual(routerSession.remoteIndex, session.localIndex)
            XCTAssertEqual(session.remoteIndex, routerSession.localIndex)
            XCTAssertEqual(peerOnRouter.counters.handshakes, 1, "initiations on several paths make one session")
            XCTAssertEqual(peerOnRouter.counters.handshakeRepeats, 1, "the second path got the cached response")
            XCTAssertEqual(Set(peerOnRouter.connections.map(\.remotePathID)), Self.wiredPaths)
            XCTAssertTrue(peerOnRouter.connections.allSatisfy { $0.state == .up })
        }
        XCTAssertEqual(Set(net.router.peers[Seed.routerPeerVM0].connections.map(\.slot)), [0, 1])
        XCTAssertEqual(Set(net.router.peers[Seed.routerPeerVM2].connections.map(\.slot)), [2, 3])
    }

    func testProbesFlowOnWiredPathsOnly() throws {
        let net = Seed.establishedNetwork()
        net.advance(by: 61 * Time.second)
        for connection in net.routerPeer(of: Seed.vm0).connections {
            // Every path is probed; idle ones at the standby rate, and on a link that works, paths that never
            // answered once a minute (LinkPolicyTests).
            XCTAssertGreaterThanOrEqual(connection.statistics.probesSent, 1, "every path is probed")
            if Self.wiredPaths.contains(connection.pathID) {
                XCTAssertEqual(connection.state, .up)
                XCTAssertGreaterThanOrEqual(connection.statistics.probeRepliesReceived, 19)
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
            XCTAssertEqual(connection.statistics.peerProbeInterval, 100 * Time.millisecond, "announced by the host")
        }
        XCTAssertEqual(net.router.globalDrops, TunnelEngine.GlobalDrops())
        XCTAssertEqual(net.vm0.globalDrops, TunnelEngine.GlobalDrops())
    }

    /// The initiation, response, probe and probe reply bytes, field by field, as docs/PROTOCOL.md specifies them.
    func testMessageLayouts() throws {
        let net = Seed.network()
        net.advance(by: 300 * Time.millisecond)
        let initiation = try XCTUnwrap(net.sent.first { $0.fromNode == Seed.vm0 && $0.slot == 0 && $0.bytes[0] == 1 }).bytes
        XCTAssertEqual(initiation.count, 132)
        XCTAssertEqual(initiation[1], 0)
        XCTAssertEqual(initiation.le16(2), 0x0000, "link 0, path 0")
        XCTAssertFalse(contains(initiation, TunnelEngine.publicKey(for: Seed.vm0Key).bytes), "the static key is encrypted")
        let routerPublic = TunnelEngine.publicKey(for: Seed.routerKey)
        // mac1 as the specification states it, through the streaming BLAKE2b (not the engine's one-shot path).
        let mac1Key = Crypto.hash(Array("mlink mac1".utf8), routerPublic.bytes, length: 32)
        let mac = Crypto.hash(Array(initiation[4..<116]), length: 16, key: mac1Key)
        XCTAssertEqual(Array(initiation[116..<132]), mac)
        let onLink1 = try XCTUnwrap(net.sent.first {
            $0.fromNode == Seed.vm0 && $0.slot == 1 && $0.bytes[0] == 1 && $0.destination == Seed.routerSlots[1]
        }).bytes
        XCTAssertEqual(onLink1.le16(2), 0x0101)
        XCTAssertEqual(Array(onLink1[4...]), Array(initiation[4...]), "one initiation, on every path")

        let index = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session?.localIndex)
        let response = try XCTUnwrap(net.sent.first {
            $0.fromNode == Seed.router && $0.bytes[0] == 2 && $0.destination == Fixture.socket("192.168.0.2:40000")
        })
        XCTAssertEqual(response.bytes.count, 60)
        XCTAssertLessThan(response.bytes.count, initiation.count, "a response never amplifies")
        XCTAssertEqual(response.bytes[1], 0)
        XCTAssertEqual(response.bytes.le16(2), 0x0000, "the router's link 0")
        XCTAssertEqual(response.bytes.le32(4), index, "receiver index: the host's")
        XCTAssertEqual(response.source, Seed.routerSlots[0], "answered from the address the initiation came to")

        let routerSession = try XCTUnwrap(net.router.peers[Seed.routerPeerVM0].session)
        let probe = try XCTUnwrap(net.sentTransport(by: Seed.vm0, type: .probe).first { $0.slot == 1 && $0.bytes.le16(2) == 0x0101 })
        XCTAssertEqual(probe.bytes.count, 28 + 24 + 16)
        XCTAssertEqual(probe.bytes[1], 0)
        XCTAssertEqual(probe.bytes.le32(4), routerSession.localIndex, "receiver index")
        XCTAssertGreaterThan(probe.bytes.le64(8), 0, "counter")
        XCTAssertEqual(probe.bytes.le32(16), 0, "first path sequence")
        XCTAssertNotEqual(Array(probe.bytes[20..<28]), [UInt8](repeating: 0, count: 8), "copy tag")
        let opened = try XCTUnwrap(routerSession.opened(probe.bytes), "copy tag and body verify")
        XCTAssertNotEqual(Array(probe.bytes[28..<52]), Array(opened[28..<52]), "the payload travels encrypted")
        XCTAssertEqual(opened[28], 1, "probe request")
        XCTAssertEqual(opened.le16(30), 100, "the sender's probe interval in ms")
        XCTAssertEqual(Array(opened[44..<52]), [UInt8](repeating: 0, count: 8), "the first request: no RTT measured yet to report")

        let probeReply = try XCTUnwrap(net.sentTransport(by: Seed.router, type: .probe).first { $0.slot == 1 })
        XCTAssertEqual(probeReply.bytes.count, 68)
        XCTAssertEqual(probeReply.bytes.le32(4), index)
        XCTAssertEqual(probeReply.bytes.le16(2) >> 8, 1, "the router's link 1")
        XCTAssertEqual(probeReply.destination, Fixture.socket("192.168.1.2:40001"))

        // Probes and data share the session counter: every message of a session has its own.
        let counters = net.sent.filter { $0.fromNode == Seed.vm0 && $0.bytes[0] >= 4 }.map { $0.bytes.le64(8) }
        XCTAssertEqual(Set(counters).count, counters.count)
    }

    /// An initiation from a key the router does not list: mac1 is valid (anyone can compute it), the Noise
    /// message decrypts, and the caller is still refused without an answer.
    func testAnInitiationFromAnUnknownKeyGetsNoAnswer() throws {
        let net = Seed.establishedNetwork()
        let initiation = try Self.initiation(from: Fixture.key(99))
        let sentBefore = net.sent.count
        let connectionsBefore = net.router.peers.map(\.connections.count)
        net.inject(initiation, to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.99:5555"))
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.unknownKey, 1)
        XCTAssertEqual(net.router.peers.map(\.connections.count), connectionsBefore)
        XCTAssertFalse(net.sent[sentBefore...].contains { $0.fromNode == Seed.router }, "no answer at all")
    }

    /// Initiations that need Diffie-Hellman work are rate-limited per source address (burst 20, then 10/s); a
    /// second source is not held back by the first, and the host's own handshakes still complete.
    func testInitiationsAreRateLimitedPerSource() throws {
        let net = Seed.establishedNetwork()
        let initiations = try (0..<40).map { _ in try Self.initiation(from: Fixture.key(99)) }
        let flooder = Fixture.socket("192.168.0.99:5555")
        for initiation in initiations { net.inject(initiation, to: Seed.router, slot: 0, from: flooder) }
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.unknownKey, 20, "the burst is processed")
        XCTAssertEqual(net.router.globalDrops.rateLimited, 20, "the rest is refused before any Diffie-Hellman")
        net.inject(initiations[0], to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.98:5555"))
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.unknownKey, 21, "another source has its own bucket")
        net.advance(by: Time.second)
        net.inject(initiations[1], to: Seed.router, slot: 0, from: flooder)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.unknownKey, 22, "refilled at 10 per second")
        net.vm0.configuration.rekeyAfterTime = 0
        net.advance(by: 50 * Time.millisecond)
        net.vm0.configuration.rekeyAfterTime = 120 * Time.second
        net.advance(by: 200 * Time.millisecond)
        XCTAssertGreaterThanOrEqual(net.router.peers[Seed.routerPeerVM0].counters.handshakes, 2, "the real host is not held back")
    }

    func testInitiationsOfTheWrongSizeOrMACOrToAHostAreDropped() throws {
        let net = Seed.establishedNetwork()
        var initiation = try XCTUnwrap(net.sent.first { $0.fromNode == Seed.vm0 && $0.bytes[0] == 1 }).bytes
        let from = Fixture.socket("192.168.0.2:40000")
        net.inject(Array(initiation[0..<131]), to: Seed.router, slot: 0, from: from)
        net.inject(initiation + [0], to: Seed.router, slot: 0, from: from)
        net.inject(initiation, to: Seed.vm2, slot: 0, from: Seed.routerSlots[2]!)
        initiation[50] ^= 1
        net.inject(initiation, to: Seed.router, slot: 0, from: from)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.router.globalDrops.malformed, 2)
        XCTAssertEqual(net.vm2.globalDrops.malformed, 1)
        XCTAssertEqual(net.router.globalDrops.unauthenticated, 1, "mac1 no longer matches")
    }

    /// An old initiation replayed after a newer one was accepted is refused (timestamp); the newest replayed
    /// gets the cached response but never displaces the working session.
    func testReplayedInitiationsDoNotReplaceTheSession() throws {
        let net = Seed.establishedNetwork()
        let first = try XCTUnwrap(net.sent.first { $0.fromNode == Seed.vm0 && $0.bytes[0] == 1 }).bytes
        net.vm0.configuration.rekeyAfterTime = 2 * Time.second
        net.advance(by: 2 * Time.second)
        let peer = net.router.peers[Seed.routerPeerVM0]
        XCTAssertEqual(peer.counters.handshakes, 2, "rekeyed once")
        let session = try XCTUnwrap(peer.session)
        let latest = try XCTUnwrap(net.sent.last { $0.fromNode == Seed.vm0 && $0.bytes[0] == 1 }).bytes
        let attacker = Fixture.socket("192.168.0.66:6666")
        net.inject(first, to: Seed.router, slot: 0, from: attacker)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(peer.counters.replayedHandshakes, 1)
        net.inject(latest, to: Seed.router, slot: 0, from: attacker)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(peer.session?.localIndex, session.localIndex)
        XCTAssertNil(peer.nextSession)
        XCTAssertFalse(peer.connections.contains { $0.remote == attacker }, "a handshake message never makes a connection")
    }

    func testAStrayOrForgedResponseDoesNotReplaceTheSession() throws {
        let net = Seed.establishedNetwork()
        let session = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session)
        var response = [UInt8](repeating: 0x5a, count: 60)
        response[0] = 2
        response[1] = 0
        response.putLE(UInt32(0xabcd), at: 4)
        net.inject(response, to: Seed.vm0, slot: 0, from: Seed.routerSlots[0]!)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.vm0.globalDrops.unknownSession, 1)
        // Now one naming the pending handshake's index, with garbage where the Noise message goes.
        net.vm0.configuration.rekeyAfterTime = 0
        net.advance(by: 10 * Time.millisecond)
        net.wire(0).isCut = true
        net.wire(1).isCut = true
        net.vm0.configuration.rekeyAfterTime = 120 * Time.second
        let pending = try XCTUnwrap(net.routerPeer(of: Seed.vm0).pending)
        response.putLE(pending.localIndex, at: 4)
        net.inject(response, to: Seed.vm0, slot: 0, from: Seed.routerSlots[0]!)
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.vm0.globalDrops.unauthenticated, 1)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).session?.localIndex, session.localIndex)
        XCTAssertNotNil(net.routerPeer(of: Seed.vm0).pending, "still waiting for the real response")
    }

    /// Rekeying every 2 s while a stream flows: no packet lost, no duplicate, several sessions used.
    func testRekeyUnderTrafficLosesNothing() {
        let net = Seed.establishedNetwork()
        net.vm0.configuration.rekeyAfterTime = 2 * Time.second
        net.vm2.configuration.rekeyAfterTime = 3 * Time.second
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<1000)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<1000))
        XCTAssertGreaterThanOrEqual(net.router.peers[Seed.routerPeerVM0].counters.handshakes, 5)
        XCTAssertGreaterThanOrEqual(net.router.peers[Seed.routerPeerVM2].counters.handshakes, 4)
        XCTAssertEqual(net.router.globalDrops.unknownSession, 0)
        XCTAssertEqual(net.vm2.globalDrops.unknownSession, 0)
    }

    /// A host restarts (new engine, same key): its first initiation is newer than anything the router saw, so
    /// the router answers at once and traffic flows again within a few ticks.
    func testAHostRestartIsAcceptedAtOnce() {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<10)
        net.nodes[Seed.vm0].engine = Seed.hostEngine(
            key: Seed.vm0Key, address: Seed.vm0Address, links: net.nodes[Seed.vm0].addresses,
            routerEndpoints: [Seed.routerSlots[0]!, Seed.routerSlots[1]!], indexBase: 0x5000_0000)
        net.advance(by: 50 * Time.millisecond)
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 10..<20)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<20))
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.handshakes, 2)
    }

    // MARK: Helpers

    /// The initiation a host with private key `key` sends to the seed router.
    static func initiation(from key: Key32) throws -> [UInt8] {
        let host = Seed.hostEngine(key: key, address: "10.77.0.99", links: [0: Fixture.socket("192.168.0.99:5555")],
                                   routerEndpoints: [Seed.routerSlots[0]!], indexBase: 0x7000_0000)
        let out = OutboundBatch(capacity: 16, bufferSize: 2048)
        host.tick(now: Time.second, into: out)
        return try XCTUnwrap(out.datagrams.first { $0.bytes.first == 1 }).bytes
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
