import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// The short form of the bench's backup.yaml moved a healthy bundle to the backup before the cut in about one run
/// of three (then held it 10 s, and the damping held the failback past the run's end). The daemon's log named
/// two causes (2026-12-01, session 7):
/// - "link not up" at the stream's start: a probe reply a little late on the loaded machine made the primary
///   `degraded` for a tick, and failover took any state but `up` for dead, although the health check's own rule
///   (a missing reply counts once the path is also silent for a reply time) said it was fine;
/// - "PATH_SILENT from the peer" 8 s into the stream: the router saw 60 ms without data on the primary, but the
///   host had sent none either (the sender paused), and the host's check (it sent data within half the silence)
///   passed on the data it sent after the pause.
extension LinkPolicyTests {
    /// The bench's nets: net0 20 ms, net1 35 ms one way (no jitter: the tests below must not depend on a draw).
    func benchFailoverNetwork() -> FakeNetwork {
        failoverNetwork(latency: 20 * Time.millisecond, backupLatency: 35 * Time.millisecond, tick: 5 * Time.millisecond)
    }

    func testAProbeReplyALittleLateBeforeTheStreamDoesNotMoveAHealthyBundleToTheBackup() throws {
        let net = benchFailoverNetwork()
        // The bench's warm-up: one echo through the tunnel (data both ways makes the path busy: probed every
        // ~100 ms for 2 s); then, as the stream is about to start, each probe reply on net0 comes 50 ms late for 300 ms.
        net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address,
                                                                sequence: 1000))
        net.advance(by: 100 * Time.millisecond)
        net.transmit(from: Seed.vm2, packet: Fixture.ipv4Packet(source: Seed.vm2Address, destination: Seed.vm0Address,
                                                                sequence: 1001))
        net.advance(by: 500 * Time.millisecond)
        let start = net.now
        net.wire(0).latencyOf = { datagram in
            let late = datagram.fromNode == Seed.router && datagram.bytes.first == WireFormat.MessageType.probe.rawValue
                && net.now >= start && net.now < start + 300 * Time.millisecond
            return (late ? 70 : 20) * Time.millisecond
        }
        var sawDegraded = false
        for _ in 0..<100 {
            net.advance(by: 5 * Time.millisecond)
            let c = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000))
            if c.state == .degraded { sawDegraded = true }
        }
        XCTAssertTrue(sawDegraded, "the late reply made the primary degraded for a moment (the case under test)")
        let next = avStream(net, for: 3 * Time.second, from: 0)
        XCTAssertEqual(dataSent(net, slot: 1), 0, "0 data on the backup: the primary never failed")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.switches, 1, "the first choice only")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0)
        net.advance(by: 200 * Time.millisecond)
        XCTAssertEqual(Set(net.nodes[Seed.vm2].deliveredSequences).subtracting([1000]), Set(0..<next))
    }

    func testASenderThatPausesIsNotTakenForACutAndARealCutStillTakesOverFast() throws {
        let net = benchFailoverNetwork()
        var next = avStream(net, for: 3 * Time.second, from: 0)
        // The application sends nothing for 70 ms (then what it owes, at once): the router sees 70 ms of silence
        // on the primary (its threshold is 2 x the 20 ms gap) and alarms; the alarm reaches the host after the
        // host sent again.
        for pause in 0..<3 {
            let resume = net.now + 70 * Time.millisecond
            net.advance(by: 70 * Time.millisecond)
            XCTAssertEqual(net.now, resume)
            for _ in 0..<18 {
                net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address,
                                                                        sequence: next))
                next += 1
            }
            next = avStream(net, for: 2 * Time.second, from: next)
            XCTAssertGreaterThan(net.router.peers[Seed.routerPeerVM0].counters.silenceAlarmsSent, 0,
                                 "the router saw the pause \(pause) as a silence")
        }
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.silenceAlarmsDismissed, 3, "each pause's alarm dismissed")
        XCTAssertEqual(dataSent(net, slot: 1), 0, "0 data on the backup: the pauses were the sender's")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.switches, 1, "the first choice only")

        net.wire(0).isCut = true
        let cut = net.now
        var firstOnBackup: UInt64?
        next = avStream(net, for: Time.second, from: next) {
            // The first data on the backup: the replay of what the cut swallowed, or a new packet.
            let replays = net.routerPeer(of: Seed.vm0).connections.filter { $0.slot == 1 }
                .map(\.statistics.traffic.txReplayPackets).reduce(0, +)
            if firstOnBackup == nil && self.dataSent(net, slot: 1) + replays > 0 { firstOnBackup = net.now - cut }
        }
        let takeover = try XCTUnwrap(firstOnBackup, "a real cut takes over")
        XCTAssertLessThanOrEqual(takeover, 100 * Time.millisecond, "first data on the backup after the cut")
        net.wire(0).isCut = false
        next = avStream(net, for: Time.second, from: next)
        net.advance(by: 200 * Time.millisecond)
        XCTAssertEqual(Set(net.nodes[Seed.vm2].deliveredSequences), Set(0..<next), "nothing lost")
    }
}
