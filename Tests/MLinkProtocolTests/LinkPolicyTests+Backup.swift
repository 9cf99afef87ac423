import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// The lab's healthy backup was probed at 5-10 probes/s under an echo stream on the primary (issue 14's last
/// failover target). Cause: when the first echoes ended, the host's primary slowed from the busy rate to
/// standby-probe, but the probe that announces the slow rate was skipped ("data stands in for a probe": the data
/// of the last 2 s lay within the new 5 s interval). The router still judged the primary by the 100 ms it last
/// heard, found it silent 140 ms later and moved its own downstream choice to the backup; when the next stream
/// started it followed the host back to the primary, keeping a make-before-break copy on the backup for 200 ms,
/// and those copies made the backup "carry a flow" for `idleAfter` (2 s of probes at the 100 ms busy rate).
extension LinkPolicyTests {
    /// vm0 -> vm2 every 20 ms, vm2 answering each packet at once (the lab's ping), for `duration`.
    private func echo(_ net: FakeNetwork, for duration: UInt64, from first: UInt64, check: () -> Void) -> UInt64 {
        let end = net.now + duration
        var sequence = first
        while net.now < end {
            if net.now % (20 * Time.millisecond) < net.tickInterval {
                net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address,
                                                                        sequence: sequence))
                sequence += 1
            }
            net.advance(by: net.tickInterval)
            for packet in net.nodes[Seed.vm2].tun {
                guard let s = Fixture.sequence(ofInner: packet) else { continue }
                net.transmit(from: Seed.vm2, packet: Fixture.ipv4Packet(source: Seed.vm2Address, destination: Seed.vm0Address,
                                                                        sequence: s))
            }
            net.nodes[Seed.vm2].tun.removeAll()
            check()
        }
        return sequence
    }

    func testAFlowThatEndsAnnouncesTheIdleRateSoTheRouterKeepsTheBackupCold() throws {
        let net = Seed.network()
        withLatency(net)
        net.vm0.configuration.mode = .failover
        net.vm0.setLinkPolicy(LinkPolicy(role: .primary), slot: 0)
        net.vm0.setLinkPolicy(LinkPolicy(role: .backup), slot: 1)
        net.advance(by: 300 * Time.millisecond)
        var routerLinks = Set<Int>(), primarySilent = false
        let watch = {
            let router = net.router.peers[Seed.routerPeerVM0]
            routerLinks.insert(router.failover.active)
            if router.failover.overlap >= 0 { routerLinks.insert(router.failover.overlap) }
            for c in router.connections where c.group(isRouter: true) == 0 && c.lastReceived != 0
                && !net.router.isHealthy(c, dialled: false, now: net.now) { primarySilent = true }
        }
        // The lab's sequence: echoes right after `up`, a pause of 2.5 s (the first flow ends), 50 echoes/s.
        var next = echo(net, for: Time.second, from: 0, check: watch)
        for _ in 0..<250 {
            net.advance(by: net.tickInterval)
            watch()
        }
        let standby = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0101))
        let probesBefore = standby.statistics.probesSent
        next = echo(net, for: 15 * Time.second, from: next, check: watch)
        XCTAssertFalse(primarySilent, "the router heard the primary's slow rate announced when its flow ended")
        XCTAssertEqual(routerLinks, [0], "the router's downstream stayed on the primary, no copy on the backup")
        let after = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0101))
        let t = after.statistics.traffic
        XCTAssertEqual(t.rxDataPackets + t.rxDuplicatePackets + t.txDataPackets + t.txDuplicatePackets, 0,
                       "0 data on the backup either way")
        let probes = after.statistics.probesSent - probesBefore
        XCTAssertLessThanOrEqual(probes, 4, "one probe per standby-probe (5 s) over 15 s of stream (was about 25)")
        XCTAssertGreaterThanOrEqual(probes, 2, "the standby is still probed")
        net.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(Set(net.nodes[Seed.vm0].deliveredSequences), Set(0..<next), "every echo answered")
    }
}
