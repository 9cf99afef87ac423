import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// tests/targets/failover-backup.sh put data on the healthy backup in 2 runs of 10 (2026-12-02, session 8): the
/// host logged "no data on enp0s3 for 95 ms (threshold 89 ms)" in the middle of its echo stream, and the router
/// took over on that PATH_SILENT (it had sent its replies in time, so its own check did not dismiss the alarm),
/// then followed the host back 9 ms later, its replay on the backup. The echo that ended the silence reached ping
/// 16 ms after the alarm. On the loaded machine the host's process had stalled, and the daemon's loop runs its
/// timers before it reads its sockets: the first tick after a stall sees the stall as silence on every path.
extension LinkPolicyTests {
    func testAHostThatStallsDoesNotAlarmTheSilenceOfRepliesWaitingInItsSocket() throws {
        let net = failoverNetwork()
        net.tickInterval = 5 * Time.millisecond  // the daemon's
        var log = EchoLog()
        echoToRouter(net, &log, for: 3 * Time.second)
        let alarms = net.routerPeer(of: Seed.vm0).counters.silenceAlarmsSent
        let routerSwitches = net.router.peers[Seed.routerPeerVM0].failover.switches
        let downBackup = try XCTUnwrap(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0101))
            .statistics.traffic.txDataPackets
        // Three stalls of vm0 of 100 ms each (its threshold for the router's replies: 3 x the 20 ms gap), 1 s apart.
        for _ in 0..<3 {
            net.stall(Seed.vm0, for: 100 * Time.millisecond)
            echoToRouter(net, &log, for: Time.second)
        }
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.silenceAlarmsSent, alarms,
                       "no PATH_SILENT for the host's own stalls")
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].failover.switches, routerSwitches, "the router stayed")
        let downAfter = try XCTUnwrap(net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0101))
            .statistics.traffic.txDataPackets
        XCTAssertEqual(downAfter, downBackup, "no data downstream on the backup")
        XCTAssertEqual(dataSent(net, slot: 1), 0, "nor upstream")

        // A real cut is still alarmed and taken over within the target.
        net.wire(0).isCut = true
        let cut = net.now
        var takeover: UInt64?
        echoToRouter(net, &log, for: Time.second) {
            if takeover == nil && self.dataSent(net, slot: 1) > 0 { takeover = net.now - cut }
        }
        XCTAssertGreaterThan(net.routerPeer(of: Seed.vm0).counters.silenceAlarmsSent, alarms, "the cut is alarmed")
        XCTAssertLessThanOrEqual(try XCTUnwrap(takeover, "a real cut takes over"), 100 * Time.millisecond)
    }
}

/// The daemon's loop reads its sockets before it ticks, which made the two-tick rule for PATH_SILENT needless: a
/// real cut is alarmed by the first tick past the threshold (the two ticks took one tick longer). And a host that
/// stalls longer than its probe interval judges its primary's silence from its own late probe (`awaitedSilence`).
extension LinkPolicyTests {
    func testARealCutUnderA50PacketsPerSecondStreamIsAlarmedWithinItsThresholdAndOneTick() throws {
        let net = failoverNetwork(tick: 5 * Time.millisecond)
        var log = EchoLog()
        echoToRouter(net, &log, for: 3 * Time.second)  // 50 packets/s each way
        let before = net.router.peers[Seed.routerPeerVM0].counters.silenceAlarmsSent
        net.wire(0).isCut = true
        var alarm: (silence: UInt64, threshold: UInt64)?
        echoToRouter(net, &log, for: Time.second) {
            guard alarm == nil, net.router.peers[Seed.routerPeerVM0].counters.silenceAlarmsSent > before,
                  let c = net.routerConnection(peer: Seed.routerPeerVM0, remotePathID: 0x0000) else { return }
            alarm = (net.now - c.lastDataReceived, TunnelEngine.silenceThreshold(c))
        }
        let (silence, threshold) = try XCTUnwrap(alarm, "the router alarms the cut")
        XCTAssertEqual(threshold, 60 * Time.millisecond, "3 x the stream's 20 ms gap")
        XCTAssertGreaterThan(silence, threshold)
        XCTAssertLessThanOrEqual(silence, threshold + net.tickInterval, "alarmed by the first tick past the threshold")
        // Sooner still: the node wakes for the threshold itself (`silenceDue`), between its ticks; the check above
        // runs every millisecond.
        XCTAssertLessThanOrEqual(silence, threshold + Time.millisecond, "alarmed as the silence crossed the threshold")
    }

    func testAHostStallLongerThanItsProbeIntervalDoesNotMakeAHealthyPrimarySilent() throws {
        let net = failoverNetwork(tick: 5 * Time.millisecond)
        var next = flow(net, for: 3 * Time.second)  // one way up: replies are all the primary carries to vm0
        let switches = net.routerPeer(of: Seed.vm0).failover.switches
        let interval = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000)).probeIntervalInEffect
        var moved = 0
        for s in 0..<30 {
            // Stalls of 1.2 to 2.5 probe intervals, at varying phases of the probe cycle.
            let before = dataSent(net, slot: 1)
            net.advance(by: UInt64(s % 7) * 3 * Time.millisecond)
            net.stall(Seed.vm0, for: interval + interval * UInt64(2 + s % 12) / 10)
            net.advance(by: interval + interval * UInt64(2 + s % 12) / 10)
            next = flow(net, for: Time.second, from: next)
            if dataSent(net, slot: 1) > before { moved += 1 }
        }
        XCTAssertGreaterThan(interval, 0)
        XCTAssertEqual(moved, 0, "stalls that moved the stream to the backup")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.switches, switches, "vm0 stayed on its primary")
    }
}
