import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Issue 16: router-to-router sessions (the lower key dials), forwarding across one router hop and never beyond,
/// and a host on two routers (choice, switch on death, hold-down, no flapping, PREFERRED).
///
///     hA 192.168.11.2 -- net11 -- 192.168.11.1 r1 192.168.10.1 -- net10 -- 192.168.10.2 r2 192.168.12.1 -- net12 -- 192.168.12.2 hB
///     hM 192.168.13.2 -- net13 -- 192.168.13.1 r1          r2 192.168.14.1 -- net14 -- 192.168.14.2 hM (second link)
/// r1 owns the slice 10.77.0.64/27 (hA .70, hM .80), r2 10.77.0.96/27 (hB .100); r1 is 10.77.0.1, r2 10.77.0.2.
final class MeshTests: XCTestCase {
    static let hA = 0, r1 = 1, r2 = 2, hB = 3, hM = 4
    /// Private keys chosen so that r1's public key is the lower one: r1 dials r2.
    static let (r1Key, r2Key): (Key32, Key32) = {
        let a = Fixture.key(101), b = Fixture.key(102)
        return lower(TunnelEngine.publicKey(for: a), than: TunnelEngine.publicKey(for: b)) ? (a, b) : (b, a)
    }()
    static let hAKey = Fixture.key(110), hBKey = Fixture.key(120), hMKey = Fixture.key(130)

    static func lower(_ a: Key32, than b: Key32) -> Bool {
        let x = a.bytes, y = b.bytes
        for i in 0..<32 where x[i] != y[i] { return x[i] < y[i] }
        return false
    }

    /// r1's peers: hA, hM, r2 (and r3, a router with no node, for the transit test); r2's: hB, hM, r1.
    static func router(_ key: Key32, virtual: String, hosts: [(String, Key32, String)], routers: [(String, Key32, String, Bool)],
                       slots: [Int: SocketAddress], base: UInt32) -> TunnelEngine {
        var peers = hosts.map {
            PeerConfiguration(name: $0.0, publicKey: TunnelEngine.publicKey(for: $0.1), allowedIPs: [Fixture.network($0.2)])
        }
        for (name, other, slice, dials) in routers {
            var peer = PeerConfiguration(name: name, publicKey: TunnelEngine.publicKey(for: other),
                                         allowedIPs: slice.split(separator: " ").map { Fixture.network(String($0)) })
            peer.isRouter = true
            peer.dials = dials
            peers.append(peer)
        }
        let configuration = EngineConfiguration(isRouter: true, privateKey: key, virtualAddress: Fixture.address(virtual),
                                                peers: peers)
        let engine = TunnelEngine(configuration: configuration, wallClock: Fixture.wallClock, random: Fixture.indexSource(base: base))
        for (slot, local) in slots.sorted(by: { $0.key < $1.key }) { engine.linkAdded(slot: slot, name: "r\(slot)", local: local) }
        return engine
    }

    static func host(_ key: Key32, address: String, routers: [(String, Key32, Int, [SocketAddress])],
                     links: [Int: SocketAddress], base: UInt32, holdDown: UInt64 = 3 * Time.second) -> TunnelEngine {
        let peers = routers.map { name, routerKey, preference, _ -> PeerConfiguration in
            var peer = PeerConfiguration(name: name, publicKey: TunnelEngine.publicKey(for: routerKey),
                                         allowedIPs: [Fixture.network("10.77.0.0/24")])
            peer.preference = preference
            return peer
        }
        var configuration = EngineConfiguration(isRouter: false, privateKey: key, virtualAddress: Fixture.address(address),
                                                peers: peers)
        configuration.routerHoldDown = holdDown
        configuration.fastIdleProbing = routers.count > 1  // as the daemon sets it for a host on several routers
        let engine = TunnelEngine(configuration: configuration, wallClock: Fixture.wallClock, random: Fixture.indexSource(base: base))
        for (slot, local) in links.sorted(by: { $0.key < $1.key }) { engine.linkAdded(slot: slot, name: "h\(slot)", local: local) }
        for (index, router) in routers.enumerated() { engine.setEndpoints(router.3, peer: index) }
        return engine
    }

    /// The whole mesh; `bothDial` makes r2 dial r1 as well (a wrong configuration).
    static func mesh(bothDial: Bool = false, hMPreferences: (Int, Int) = (0, 10)) -> FakeNetwork {
        let network = FakeNetwork()
        let r1Slots = [0: Fixture.socket("192.168.10.1:7000"), 1: Fixture.socket("192.168.11.1:7000"),
                       2: Fixture.socket("192.168.13.1:7000")]
        let r2Slots = [0: Fixture.socket("192.168.10.2:7000"), 1: Fixture.socket("192.168.12.1:7000"),
                       2: Fixture.socket("192.168.14.1:7000")]
        let hALinks = [0: Fixture.socket("192.168.11.2:40000")]
        let hBLinks = [0: Fixture.socket("192.168.12.2:40000")]
        let hMLinks = [0: Fixture.socket("192.168.13.2:40000"), 1: Fixture.socket("192.168.14.2:40001")]
        network.addNode("hA", engine: host(hAKey, address: "10.77.0.70", routers: [("r1", r1Key, 0, [r1Slots[1]!])],
                                          links: hALinks, base: 0x1000_0000), addresses: hALinks)
        let r1 = router(r1Key, virtual: "10.77.0.1",
                        hosts: [("hA", hAKey, "10.77.0.70/32"), ("hM", hMKey, "10.77.0.80/32")],
                        routers: [("r2", r2Key, "10.77.0.2/32 10.77.0.96/27", true),
                                  ("r3", Fixture.key(103), "10.77.0.3/32 10.77.0.128/27", false)],
                        slots: r1Slots, base: 0x2000_0000)
        r1.setEndpoints([r2Slots[0]!], peer: 2)
        network.addNode("r1", engine: r1, addresses: r1Slots)
        let r2 = router(r2Key, virtual: "10.77.0.2",
                        hosts: [("hB", hBKey, "10.77.0.100/32"), ("hM", hMKey, "10.77.0.80/32")],
                        routers: [("r1", r1Key, "10.77.0.1/32 10.77.0.64/27", bothDial)],
                        slots: r2Slots, base: 0x3000_0000)
        r2.setEndpoints([r1Slots[0]!], peer: 2)
        network.addNode("r2", engine: r2, addresses: r2Slots)
        network.addNode("hB", engine: host(hBKey, address: "10.77.0.100", routers: [("r2", r2Key, 0, [r2Slots[1]!])],
                                          links: hBLinks, base: 0x4000_0000), addresses: hBLinks)
        network.addNode("hM", engine: host(hMKey, address: "10.77.0.80",
                                          routers: [("r1", r1Key, hMPreferences.0, [r1Slots[2]!]),
                                                    ("r2", r2Key, hMPreferences.1, [r2Slots[2]!])],
                                          links: hMLinks, base: 0x5000_0000), addresses: hMLinks)
        for net: UInt8 in [10, 11, 12, 13, 14] { network.wire(net).latency = 10 * Time.millisecond }  // 20 ms RTT
        return network
    }

    func initiations(_ network: FakeNetwork, from node: Int) -> Int {
        network.sent.filter { $0.fromNode == node && $0.bytes.first == WireFormat.MessageType.initiation.rawValue }.count
    }

    // MARK: Router to router

    func testTheLowerKeyDialsAndBothRoutersHaveTheSession() {
        let network = Self.mesh()
        network.advance(by: 1 * Time.second)
        let r1 = network.nodes[Self.r1].engine, r2 = network.nodes[Self.r2].engine
        XCTAssertNotNil(r1.peers[2].session, "r1 has the session with r2")
        XCTAssertNotNil(r2.peers[2].session, "r2 has the session with r1")
        XCTAssertTrue(r1.peers[2].dials)
        XCTAssertFalse(r2.peers[2].dials)
        // Only hosts and r1 initiate: r2 answers.
        XCTAssertGreaterThan(initiations(network, from: Self.r1), 0)
        XCTAssertEqual(initiations(network, from: Self.r2), 0)
        // The dialler probes and its path ids carry its own link number (0); the answerer learned the connection.
        // One connection from each of r1's links to r2's endpoint; only the one on the shared wire answers.
        XCTAssertEqual(r1.peers[2].connections.map(\.pathID).sorted(), [0x0000, 0x0100, 0x0200])
        XCTAssertEqual(r1.peers[2].connections.first { $0.pathID == 0 }?.state, .up)
        XCTAssertEqual(r2.peers[2].connections.count, 1)
        XCTAssertEqual(r2.peers[2].connections.first?.state, .up)
        XCTAssertTrue(r1.peers[2].bundleIsUp && r2.peers[2].bundleIsUp)
        XCTAssertEqual(r1.peers[2].counters.handshakesRefused + r2.peers[2].counters.handshakesRefused, 0)
    }

    /// CLOSE from the router peer that answers: the dialling router keeps the connections its profile gives and
    /// dials again (it must not forget them as it forgets a host's learned ones).
    func testAfterACloseTheDiallingRouterDialsAgain() {
        let network = Self.mesh()
        network.advance(by: 1 * Time.second)
        let r1 = network.nodes[Self.r1].engine, r2 = network.nodes[Self.r2].engine
        XCTAssertTrue(r1.peers[2].dials)
        let connections = r1.peers[2].connections.count
        network.close(node: Self.r2)
        network.advance(by: 20 * Time.millisecond)
        XCTAssertEqual(r1.peers[2].counters.closesReceived, 1)
        XCTAssertEqual(r1.peers[2].connections.count, connections, "the dialled peer's connections come from the profile")
        network.advance(by: 2 * Time.second)
        XCTAssertNotNil(r1.peers[2].session, "r1 dialled r2 again")
        XCTAssertNotNil(r2.peers[2].session)
        XCTAssertTrue(r1.peers[2].bundleIsUp && r2.peers[2].bundleIsUp)
    }

    func testTwoDiallingRoutersRefuseEachOther() {
        // r2 wrongly dials r1 too: r1 refuses r2's initiations (it dials r2 itself) and r2 refuses r1's.
        let network = Self.mesh(bothDial: true)
        network.advance(by: 1 * Time.second)
        let r1 = network.nodes[Self.r1].engine, r2 = network.nodes[Self.r2].engine
        XCTAssertGreaterThan(r1.peers[2].counters.handshakesRefused, 0)
        XCTAssertGreaterThan(r2.peers[2].counters.handshakesRefused, 0)
        XCTAssertNil(r1.peers[2].session)
        XCTAssertNil(r2.peers[2].session)
        XCTAssertNotNil(r1.peers[0].session, "hosts are unaffected")
    }

    func testAHostOnR1ReachesAHostOnR2AndBack() {
        let network = Self.mesh()
        network.advance(by: 1 * Time.second)
        network.transmit(from: Self.hA, packet: Fixture.ipv4Packet(source: "10.77.0.70", destination: "10.77.0.100", sequence: 1))
        network.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(network.nodes[Self.hB].deliveredSequences, [1])
        network.transmit(from: Self.hB, packet: Fixture.ipv4Packet(source: "10.77.0.100", destination: "10.77.0.70", sequence: 2))
        network.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(network.nodes[Self.hA].deliveredSequences, [2])
        XCTAssertEqual(network.nodes[Self.r1].engine.peers[0].counters.forwarded, 1, "r1 forwarded hA's packet to r2")
        XCTAssertEqual(network.nodes[Self.r2].engine.peers[2].counters.forwarded, 1, "r2 forwarded r1's packet to hB")
    }

    func testARouterPeerSourceOutsideItsAllowedIPsIsDropped() {
        let network = Self.mesh()
        network.advance(by: 1 * Time.second)
        // r2 sends as if from r1's slice: r1 refuses the inner source.
        network.transmit(from: Self.r2, packet: Fixture.ipv4Packet(source: "10.77.0.70", destination: "10.77.0.80", sequence: 3),
                         peer: 2)
        network.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(network.nodes[Self.r1].engine.peers[2].counters.sourceRejected, 1)
        XCTAssertEqual(network.nodes[Self.hM].deliveredSequences, [])
    }

    func testNothingFromOneRouterPeerIsForwardedToAnother() {
        let network = Self.mesh()
        network.advance(by: 1 * Time.second)
        // r2 hands r1 a packet for r3's slice: one router hop only, so r1 drops and counts it.
        network.transmit(from: Self.r2, packet: Fixture.ipv4Packet(source: "10.77.0.100", destination: "10.77.0.130", sequence: 4),
                         peer: 2)
        network.advance(by: 100 * Time.millisecond)
        let r1 = network.nodes[Self.r1].engine
        XCTAssertEqual(r1.peers[2].counters.transitRefused, 1)
        XCTAssertEqual(r1.peers[2].counters.forwarded, 0)
        XCTAssertEqual(r1.peers[3].counters.sent + r1.peers[3].counters.stagingDrops + UInt64(r1.staging.total), 0,
                       "nothing went towards r3")
    }

    // MARK: A host on two routers

    /// hM streams to hB every 5 ms; returns, per packet, the router it went through (1 or 2, 0: lost).
    func stream(_ network: FakeNetwork, from first: UInt64, count: UInt64, between: ((UInt64) -> Void)? = nil) {
        network.stream(from: Self.hM, source: "10.77.0.80", destination: "10.77.0.100", sequences: first..<(first + count),
                       interval: 5 * Time.millisecond, before: between)
    }

    func testTheHostSendsThroughItsPreferredRouterAndTellsBoth() {
        let network = Self.mesh()
        network.advance(by: 1 * Time.second)
        let hM = network.nodes[Self.hM].engine
        XCTAssertEqual(hM.currentRouter, 0)
        XCTAssertEqual(hM.routerSwitches, 0)
        XCTAssertNotNil(hM.peers[0].session)
        XCTAssertNotNil(hM.peers[1].session, "a hot session to the other router too")
        stream(network, from: 1, count: 20)
        network.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(network.nodes[Self.hB].deliveredSequences, Array(1...20))
        XCTAssertEqual(network.nodes[Self.r1].engine.peers[1].counters.forwarded, 20, "all through r1")
        XCTAssertEqual(network.nodes[Self.r2].engine.peers[1].counters.delivered, 0)
        // PREFERRED: 1 to r1, 0 to r2, from hM (peer 1 on both routers).
        let toR1 = network.nodes[Self.r1].controls.filter { $0.peer == 1 && $0.kind == ControlKind.preferred }
        let toR2 = network.nodes[Self.r2].controls.filter { $0.peer == 1 && $0.kind == ControlKind.preferred }
        XCTAssertEqual(toR1.map(\.body), [[1]])
        XCTAssertEqual(toR2.map(\.body), [[0]])
        // A host receives from any of its routers.
        network.transmit(from: Self.hB, packet: Fixture.ipv4Packet(source: "10.77.0.100", destination: "10.77.0.80", sequence: 99))
        network.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(network.nodes[Self.hM].deliveredSequences, [99])
        XCTAssertEqual(hM.peers[1].counters.delivered, 1, "the reply came straight from r2")
    }

    func testAtStartUpTheBetterRouterTakesOverAtOnce() {
        // r1's wire is down at first, so r2 answers first; r1 then comes up for the first time: no hold-down.
        let network = Self.mesh()
        network.wire(13).isCut = true
        network.advance(by: 1 * Time.second)
        let hM = network.nodes[Self.hM].engine
        XCTAssertEqual(hM.currentRouter, 1)
        network.wire(13).isCut = false
        network.advance(by: 1 * Time.second)
        XCTAssertEqual(hM.currentRouter, 0)
        XCTAssertEqual(hM.routerSwitches, 0, "settling at start-up is no switch")
    }

    func testTheHostSwitchesWithinASecondWhenItsRouterDiesAndMovesBackOnceAfterTheHoldDown() {
        let network = Self.mesh()
        network.advance(by: 2 * Time.second)
        let hM = network.nodes[Self.hM].engine
        stream(network, from: 1, count: 100)
        XCTAssertEqual(hM.currentRouter, 0)
        // r1 dies (its wire to hM goes dark): traffic must reach hB through r2 within a second.
        network.wire(13).isCut = true
        let cut = network.now
        var resumed: UInt64 = 0
        stream(network, from: 101, count: 400) { _ in
            if resumed == 0 && network.nodes[Self.r2].engine.peers[1].counters.delivered > 0 { resumed = network.now }
        }
        XCTAssertNotEqual(resumed, 0, "traffic never resumed through r2")
        XCTAssertLessThan(resumed - cut, 1 * Time.second, "switch took \(Double(resumed - cut) / 1e6) ms")
        XCTAssertEqual(hM.currentRouter, 1)
        XCTAssertEqual(hM.routerSwitches, 1)
        XCTAssertNotEqual(hM.lastRouterSwitch, 0)
        // r1 returns: the host stays on r2 for the hold-down (3 s here), then moves back once.
        network.wire(13).isCut = false
        let back = network.now
        var movedBack: UInt64 = 0
        for _ in 0..<100 where movedBack == 0 {
            network.advance(by: 50 * Time.millisecond)
            if hM.currentRouter == 0 { movedBack = network.now }
        }
        XCTAssertNotEqual(movedBack, 0, "never moved back")
        XCTAssertGreaterThanOrEqual(movedBack - back, 3 * Time.second, "moved back before the hold-down")
        XCTAssertLessThan(movedBack - back, 4 * Time.second)
        XCTAssertEqual(hM.routerSwitches, 2)
        let toR1 = network.nodes[Self.r1].controls.filter { $0.peer == 1 && $0.kind == ControlKind.preferred }
        XCTAssertEqual(toR1.last?.body, [1], "r1 told it is current again")
    }

    func testAFlappingRouterNeverTakesTheTrafficBack() {
        let network = Self.mesh()
        network.advance(by: 2 * Time.second)
        let hM = network.nodes[Self.hM].engine
        network.wire(13).isCut = true
        network.advance(by: 2 * Time.second)
        XCTAssertEqual(hM.currentRouter, 1)
        // r1 comes and goes every 1.5 s (up 1 s, down 0.5 s): never stable for the 3 s hold-down.
        for _ in 0..<6 {
            network.wire(13).isCut = false
            network.advance(by: 1 * Time.second)
            XCTAssertEqual(hM.currentRouter, 1)
            network.wire(13).isCut = true
            network.advance(by: 500 * Time.millisecond)
            XCTAssertEqual(hM.currentRouter, 1)
        }
        XCTAssertEqual(hM.routerSwitches, 1, "one switch away, none back")
    }

    func testEqualPreferencesNeverPreempt() {
        let network = Self.mesh(hMPreferences: (10, 10))
        network.advance(by: 2 * Time.second)
        let hM = network.nodes[Self.hM].engine
        let first = hM.currentRouter!
        let other = 1 - first
        let otherWire: UInt8 = other == 0 ? 13 : 14, firstWire: UInt8 = first == 0 ? 13 : 14
        network.wire(firstWire).isCut = true
        network.advance(by: 2 * Time.second)
        XCTAssertEqual(hM.currentRouter, other)
        network.wire(firstWire).isCut = false
        network.advance(by: 10 * Time.second)
        XCTAssertEqual(hM.currentRouter, other, "an equal router that came back does not take over")
        XCTAssertEqual(hM.routerSwitches, 1)
        _ = otherWire
    }
}
