import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Liveness, outages and restarts, on the fake clock.
final class FailureRecoveryTests: XCTestCase {
    func testConnectionGoesDownAfterTheLivenessTimeoutAndUpWhenTrafficResumes() throws {
        let net = Seed.establishedNetwork()
        net.advance(by: 130 * Time.millisecond)
        net.wire(0).isCut = true
        let lastHeard = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000)).lastReceived
        let timeout = net.vm0.configuration.livenessTimeout
        XCTAssertEqual(timeout, Time.second)

        net.advance(by: lastHeard + timeout - net.now)  // silent for exactly the timeout: still up
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0000)?.state, .up)
        net.advance(by: net.tickInterval)
        let down = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000))
        XCTAssertEqual(down.state, .down)
        XCTAssertEqual(down.stateChanged, net.now)
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000)?.state, .down)
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .up, "the other link is untouched")
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0101)?.state, .up)

        net.wire(0).isCut = false
        net.advance(by: 260 * Time.millisecond)  // one probe interval and a tick
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0000)?.state, .up)
        XCTAssertEqual(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000)?.state, .up)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.handshakes, 1, "a one-link outage needs no new session")
    }

    /// Both of vm0's links die for 10 s: vm0 re-hellos after the session timeout, and when the links return
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
        XCTAssertNotNil(net.routerPeer(of: Seed.vm0).pendingIndex, "silent past the session timeout: a new hello")

        net.wire(0).isCut = false
        net.wire(1).isCut = false
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 100..<200)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<50) + Array(100..<200))
        XCTAssertTrue(zip(engines, net.nodes.map(\.engine)).allSatisfy { $0 === $1 })
        let peer = net.routerPeer(of: Seed.vm0)
        XCTAssertEqual(peer.counters.handshakes, 2)
        XCTAssertNotEqual(peer.session?.localIndex, oldSession.localIndex)
        XCTAssertNil(peer.pendingIndex)
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].counters.handshakes, 2)
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0000)?.state, .up)
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .up)
    }

    /// The router restarts with no state: hosts notice the silence, re-hello after the session timeout, and
    /// traffic resumes without gaps from then on.
    func testRouterRestartHostsRehelloAfterTheSessionTimeout() throws {
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
