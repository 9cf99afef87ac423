import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Liveness, outages and restarts, on the fake clock.
final class FailureRecoveryTests: XCTestCase {
    /// At RTT 20 ms, while data flows (50 packets/s from vm0), a silently dead connection (packets vanish,
    /// nothing else changes) goes degraded, then down within one second on both ends, and up again within one
    /// second of the repair; the other link is untouched. (An idle bundle probes slowly: LinkPolicyTests.)
    func testASilentCutIsDownWithinASecondAndUpWithinASecondOfTheRepair() throws {
        let net = Seed.establishedNetwork()
        for lan: UInt8 in 0...3 { net.wire(lan).latency = 10 * Time.millisecond }
        var sequence: UInt64 = 0
        func keepSending() {
            guard net.now % (20 * Time.millisecond) < net.tickInterval else { return }
            net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address,
                                                                    sequence: sequence))
            sequence += 1
        }
        // Let RTT estimates and probe intervals settle under traffic.
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<150,
                   interval: 20 * Time.millisecond)
        sequence = 150
        let rtt = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000)).statistics.smoothedRTT
        XCTAssertEqual(Double(rtt) / 1e6, 20, accuracy: 1)
        XCTAssertEqual(net.vm0.probeInterval(of: try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000))),
                       100 * Time.millisecond, "2 x (RTT + 4 RTTVAR) is below the 100 ms floor")

        net.wire(0).isCut = true
        let cut = net.now
        var states: [Connection.State] = []
        var hostDown: UInt64?, routerDown: UInt64?
        while net.now - cut < 2 * Time.second && (hostDown == nil || routerDown == nil) {
            keepSending()
            net.advance(by: net.tickInterval)
            let state = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000)).state
            if states.last != state { states.append(state) }
            if hostDown == nil, state == .down { hostDown = net.now - cut }
            if routerDown == nil, net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000)?.state == .down {
                routerDown = net.now - cut
            }
        }
        XCTAssertEqual(states, [.up, .degraded, .down])
        let host = try XCTUnwrap(hostDown), router = try XCTUnwrap(routerDown)
        XCTAssertLessThan(host, Time.second)
        XCTAssertLessThan(router, Time.second)
        XCTAssertGreaterThan(host, 200 * Time.millisecond, "three probe intervals of silence at least: no false alarm")
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .up, "the other link is untouched")
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0101)?.state, .up)

        net.wire(0).isCut = false
        let repair = net.now
        var hostUp: UInt64?, routerUp: UInt64?
        while net.now - repair < 2 * Time.second && (hostUp == nil || routerUp == nil) {
            keepSending()
            net.advance(by: net.tickInterval)
            if hostUp == nil, net.connection(of: Seed.vm0, pathID: 0x0000)?.state == .up { hostUp = net.now - repair }
            if routerUp == nil, net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000)?.state == .up {
                routerUp = net.now - repair
            }
        }
        XCTAssertLessThan(try XCTUnwrap(hostUp), Time.second)
        XCTAssertLessThan(try XCTUnwrap(routerUp), Time.second)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.handshakes, 1, "a one-link outage needs no new session")
    }

    /// Both of vm0's links die for 10 s: vm0 starts a new handshake after the session timeout, and when the links return
    /// traffic resumes, with no packet lost after the links are back, and the same engine objects.
    func testAllLinksOfAHostDieForTenSecondsAndComeBack() throws {
        let net = Seed.establishedNetwork()
        let engines = net.nodes.map(\.engine)
        let oldSession = try XCTUnwrap(net.routerPeer(of: Seed.vm0).session)
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<50)
        net.wire(0).isCut = true
        net.wire(1).isCut = true
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 50..<60)
        net.advance(by: 10 * Time.second - 100 * Time.millisecond)
        XCTAssertTrue(net.routerPeer(of: Seed.vm0).connections.allSatisfy { $0.state != .up })
        XCTAssertTrue(net.router.peers[Seed.routerPeerVM0].connections.allSatisfy { $0.state == .down })
        XCTAssertNotNil(net.routerPeer(of: Seed.vm0).pending, "silent past the session timeout: a new handshake")

        net.wire(0).isCut = false
        net.wire(1).isCut = false
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 100..<200)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<50) + Array(100..<200))
        XCTAssertTrue(zip(engines, net.nodes.map(\.engine)).allSatisfy { $0 === $1 })
        let peer = net.routerPeer(of: Seed.vm0)
        // Either the pending handshake completed, or the router's first FEEDBACK on the old session (it is still
        // valid at both ends) proved the session alive before the response came, and the handshake was dropped.
        if peer.counters.handshakes == 2 {
            XCTAssertNotEqual(peer.session?.localIndex, oldSession.localIndex)
            XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.handshakes, 2)
        } else {
            XCTAssertEqual(peer.counters.handshakes, 1)
            XCTAssertGreaterThan(net.router.peers[Seed.routerPeerVM0].counters.feedbackSent, 0)
        }
        XCTAssertNil(peer.pending)
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0000)?.state, .up)
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .up)
    }

    /// The router restarts with no state: hosts notice the silence, start a new handshake after the session timeout, and
    /// traffic resumes without gaps from then on.
    func testRouterRestartHostsHandshakeAgainAfterTheSessionTimeout() throws {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<20)
        let restart = net.now
        net.nodes[Seed.router].engine = Seed.routerEngine(indexBase: 0x4000_0000)
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 20..<620)
        net.advance(by: 50 * Time.millisecond)

        let delivered = net.nodes[Seed.vm2].deliveredSequences
        let firstAfter = try XCTUnwrap(delivered.first { $0 >= 20 })
        XCTAssertEqual(Array(delivered.prefix(20)), Array(0..<20))
        XCTAssertEqual(Array(delivered.dropFirst(20)), Array(firstAfter..<620), "no gap once resumed")
        let resumedAfter = (firstAfter - 20) * 10 * Time.millisecond
        let configuration = net.vm0.configuration
        XCTAssertGreaterThan(resumedAfter, configuration.sessionTimeout - configuration.probeInterval)
        XCTAssertLessThanOrEqual(resumedAfter, configuration.sessionTimeout + 2 * configuration.probeInterval)
        XCTAssertGreaterThan(net.router.globalDrops.unknownSession, 0, "the old session's packets, until the hello")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.handshakes, 2)
        XCTAssertEqual(net.routerPeer(of: Seed.vm2).counters.handshakes, 2)
        XCTAssertEqual(net.router.peers.map(\.counters.handshakes), [1, 1])
        XCTAssertGreaterThan(net.routerPeer(of: Seed.vm0).lastHandshake, restart + configuration.sessionTimeout)
    }

    /// Path sequence numbers keep running on a host across sessions; a restarted router must not count the
    /// numbers it never had a chance to see as lost (the wires here lose nothing).
    func testRestartedRouterDoesNotCountUnseenSequencesAsLoss() {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<100)
        net.nodes[Seed.router].engine = Seed.routerEngine(indexBase: 0x4000_0000)
        net.advance(by: 6 * Time.second)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.handshakes, 2)
        let losses = net.router.peers[Seed.routerPeerVM0].connections.map(\.statistics.lostEstimate)
        XCTAssertEqual(losses, [0, 0], "lossless wires, yet a loss estimate")
    }

    /// Re-resolved router endpoints in another order (round-robin DNS) change nothing; one endpoint more adds
    /// its paths and leaves the others' path ids, states and counters alone.
    func testEndpointsInAnotherOrderKeepEveryConnection() throws {
        let net = Seed.establishedNetwork()
        let before = net.routerPeer(of: Seed.vm0).connections
        net.vm0.setRouterEndpoints([Seed.routerSlots[1]!, Seed.routerSlots[0]!])
        let after = net.routerPeer(of: Seed.vm0).connections
        XCTAssertEqual(after.map(\.pathID).sorted(), before.map(\.pathID).sorted())
        XCTAssertEqual(after.filter { $0.state == .up }.count, 2)
        net.vm0.setRouterEndpoints([Seed.routerSlots[1]!, Seed.routerSlots[0]!, Fixture.socket("192.168.0.4:7000")])
        let grown = net.routerPeer(of: Seed.vm0).connections
        XCTAssertEqual(grown.count, 6, "2 links x 3 endpoints")
        let path0 = try XCTUnwrap(grown.first { $0.pathID == 0x0000 })
        XCTAssertEqual(path0.state, .up)
        XCTAssertEqual(path0.remote, Seed.routerSlots[0]!)
        XCTAssertEqual(Set(grown.map(\.pathID)).count, 6, "path ids stay unique")
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<10)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<10))
    }

    func testARouterForgetsLearnedConnectionsAfterLongSilence() {
        let net = Seed.establishedNetwork()
        net.wire(1).isCut = true
        net.advance(by: net.router.configuration.forgetAfter + Time.second)
        let connections = net.router.peers[Seed.routerPeerVM0].connections
        XCTAssertEqual(connections.map(\.remotePathID), [0x0000], "the silent path is forgotten")
        net.wire(1).isCut = false
        net.advance(by: 300 * Time.millisecond)
        XCTAssertEqual(Set(net.router.peers[Seed.routerPeerVM0].connections.map(\.remotePathID)), [0x0000, 0x0101],
                       "and learned again from the next probe")
    }
}
