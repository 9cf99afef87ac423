import MLinkControl
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Roles, copies, failover and cheap idle probing (issue 14), on the fake clock.
final class LinkPolicyTests: XCTestCase {
    /// Wire bytes a datagram of the fake network would take over IPv4 (IP + UDP headers).
    private static let ipv4Overhead: UInt64 = 28

    /// Data copies (first and further) vm0 sent on its link `slot`.
    func dataSent(_ net: FakeNetwork, slot: Int) -> UInt64 {
        net.routerPeer(of: Seed.vm0).connections.filter { $0.slot == slot }
            .map { $0.statistics.traffic.txDataPackets + $0.statistics.traffic.txDuplicatePackets }.reduce(0, +)
    }

    /// Sends one packet vm0 -> vm2 whenever the clock is on a multiple of `every`, for `duration`, calling
    /// `check` after every tick.
    func flow(_ net: FakeNetwork, for duration: UInt64, every: UInt64 = 20 * Time.millisecond,
                      from first: UInt64 = 0, check: (() -> Void)? = nil) -> UInt64 {
        let end = net.now + duration
        var sequence = first
        while net.now < end {
            if net.now % every < net.tickInterval {
                net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address,
                                                                        destination: Seed.vm2Address, sequence: sequence))
                sequence += 1
            }
            net.advance(by: net.tickInterval)
            check?()
        }
        return sequence
    }

    func withLatency(_ net: FakeNetwork, _ latency: UInt64 = 10 * Time.millisecond) {
        for lan: UInt8 in 0...3 { net.wire(lan).latency = latency }
    }

    // MARK: Cheap idle

    func testAnIdleBundleProbesEachLinkAtTheStandbyRateWithinTheDailyTarget() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.advance(by: 10 * Time.second)
        let before = net.routerPeer(of: Seed.vm0).connections.map(\.statistics)
        net.advance(by: 60 * Time.second)
        // (Paths to the router's address on the other LAN never answer; they are the unreachable state's.)
        for (connection, earlier) in zip(net.routerPeer(of: Seed.vm0).connections, before) where connection.lastReceived != 0 {
            let s = connection.statistics
            let probes = s.probesSent - earlier.probesSent
            XCTAssertEqual(Double(probes), 12, accuracy: 1, "one probe per standby-probe (5 s)")
            XCTAssertEqual(s.probeRepliesReceived - earlier.probeRepliesReceived, probes)
            XCTAssertEqual(connection.state, .up, "still up between the slow probes")
            let wire = (s.txBytes - earlier.txBytes) + (s.rxBytes - earlier.rxBytes)
                + LinkPolicyTests.ipv4Overhead * ((s.txPackets - earlier.txPackets) + (s.rxPackets - earlier.rxPackets))
            let perDay = Double(wire) * 1440
            XCTAssertLessThanOrEqual(perDay, 10e6, "idle link volume per day (target 10 MB)")
            XCTAssertGreaterThan(perDay, 1e6, "but still probed")
        }
    }

    func testAnIdleLinkThatDiesIsDownSoonAfterItsNextProbe() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.advance(by: 10 * Time.second)
        net.wire(0).isCut = true
        let cut = net.now
        while net.connection(of: Seed.vm0, pathID: 0x0000)?.state != .down && net.now - cut < 10 * Time.second {
            net.advance(by: net.tickInterval)
        }
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0000)?.state, .down)
        XCTAssertLessThan(net.now - cut, 5 * Time.second + 500 * Time.millisecond,
                          "the next standby probe goes unanswered, then fast probes confirm")
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .up)
    }

    func testAnIdlePathThatBecomesBusyIsNotDeclaredDownForRepliesNeverAskedFor() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.advance(by: 14 * Time.second)  // the last reply is seconds old
        var states: Set<Connection.State> = []
        _ = flow(net, for: 2 * Time.second) {
            for c in net.routerPeer(of: Seed.vm0).connections where c.lastReceived != 0 { states.insert(c.state) }
        }
        XCTAssertEqual(states, [.up], "busy at once, and still up")
        for c in net.routerPeer(of: Seed.vm0).connections where c.lastReceived != 0 {
            XCTAssertEqual(c.probeIntervalInEffect, 100 * Time.millisecond, "busy: probed at the RTT-scaled rate")
        }
    }

    func testDataBothWaysStandsInForProbes() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.advance(by: 2 * Time.second)
        let before = net.routerPeer(of: Seed.vm0).connections.map(\.statistics.probesSent)
        let end = net.now + 5 * Time.second
        var sequence: UInt64 = 0
        while net.now < end {
            if net.now % (20 * Time.millisecond) < net.tickInterval {
                net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address,
                                                                        destination: Seed.vm2Address, sequence: sequence))
                net.transmit(from: Seed.vm2, packet: Fixture.ipv4Packet(source: Seed.vm2Address,
                                                                        destination: Seed.vm0Address, sequence: sequence))
                sequence += 1
            }
            net.advance(by: net.tickInterval)
        }
        for (c, earlier) in zip(net.routerPeer(of: Seed.vm0).connections, before) where c.lastReceived != 0 {
            XCTAssertEqual(Double(c.statistics.probesSent - earlier), 5, accuracy: 1, "one RTT sample a second")
            XCTAssertEqual(c.state, .up)
        }
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences.count, Int(sequence))
        XCTAssertEqual(net.nodes[Seed.vm0].deliveredSequences.count, Int(sequence))
    }

    // MARK: Roles in redundant mode

    func testABackupCarriesNoDataWhileAPrimaryIsUpAndTakesOverWhenItDies() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.vm0.setLinkPolicy(LinkPolicy(role: .backup), slot: 1)
        net.advance(by: Time.second)
        var next = flow(net, for: 2 * Time.second)
        XCTAssertEqual(dataSent(net, slot: 1), 0, "no copies on the backup")
        XCTAssertEqual(dataSent(net, slot: 0), next)
        net.wire(0).isCut = true
        next = flow(net, for: 2 * Time.second, from: next)
        XCTAssertGreaterThan(dataSent(net, slot: 1), 80, "the backup carries once the primary is down")
        let delivered = Set(net.nodes[Seed.vm2].deliveredSequences)
        XCTAssertLessThanOrEqual(Int(next) - delivered.count, 25, "lost only until the cut was noticed")
    }

    func testNeverLinksCarryNothingAndCopiesLimitsTheCopies() throws {
        let net = Seed.establishedNetwork()
        net.vm0.setLinkPolicy(LinkPolicy(role: .never), slot: 1)
        _ = flow(net, for: Time.second)
        XCTAssertEqual(dataSent(net, slot: 1), 0)

        let two = Seed.establishedNetwork()
        two.vm0.configuration.copies = 1
        withLatency(two)
        two.wire(1).latency = 30 * Time.millisecond
        two.advance(by: Time.second)
        let sent = flow(two, for: Time.second)
        XCTAssertEqual(dataSent(two, slot: 0), sent, "one copy, on the faster link")
        XCTAssertEqual(dataSent(two, slot: 1), 0)
        XCTAssertEqual(Set(two.nodes[Seed.vm2].deliveredSequences).count, Int(sent))
    }

    func testPlanningCopiesAllocatesNothing() throws {
        let net = Seed.establishedNetwork()
        net.vm0.setLinkPolicy(LinkPolicy(role: .secondary), slot: 1)
        let peer = net.routerPeer(of: Seed.vm0)
        var plan: [Int] = []
        plan.reserveCapacity(64)
        let capacity = plan.capacity
        for mode in [BundleMode.redundant, .failover] {
            peer.selectCopies(into: &plan, isRouter: false, mode: mode, copies: 1)
            XCTAssertEqual(plan.count, 1)
        }
        XCTAssertEqual(plan.capacity, capacity, "the reserved storage is reused")
    }

    // MARK: Failover

    /// vm0 in failover mode, enp0s3 primary, enp0s8 backup; every net `latency` one way, net1 `backupLatency`.
    func failoverNetwork(latency: UInt64 = 10 * Time.millisecond, backupLatency: UInt64? = nil,
                         tick: UInt64? = nil) -> FakeNetwork {
        let net = Seed.establishedNetwork()
        withLatency(net, latency)
        if let backupLatency { net.wire(1).latency = backupLatency }
        if let tick { net.tickInterval = tick }
        net.vm0.configuration.mode = .failover
        net.vm0.setLinkPolicy(LinkPolicy(role: .primary), slot: 0)
        net.vm0.setLinkPolicy(LinkPolicy(role: .backup, metered: false), slot: 1)
        net.advance(by: 2 * Time.second)
        return net
    }

    func testFailoverSendsOnlyOnThePrimaryAndTheStandbyIsProbedSlowly() throws {
        let net = failoverNetwork()
        let standby = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0101)).statistics
        let sent = flow(net, for: 30 * Time.second)
        XCTAssertEqual(dataSent(net, slot: 0), sent)
        XCTAssertEqual(dataSent(net, slot: 1), 0, "0 data bytes on the backup")
        let after = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0101)).statistics
        let bytes = (after.txBytes - standby.txBytes) + (after.rxBytes - standby.rxBytes)
            + LinkPolicyTests.ipv4Overhead * ((after.txPackets - standby.txPackets) + (after.rxPackets - standby.rxPackets))
        XCTAssertLessThanOrEqual(Double(bytes) / 30, 40, "standby probe + control <= 40 B/s")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0)
    }

    func testTakeoverAfterASilentCutIsFastAndFailbackWaitsForACleanPeriod() throws {
        let net = failoverNetwork()
        var next = flow(net, for: 2 * Time.second)
        let initialSwitches = net.routerPeer(of: Seed.vm0).failover.switches
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0, "the primary carries")
        net.wire(0).isCut = true
        let cut = net.now
        var firstOnBackup: UInt64?
        next = flow(net, for: 3 * Time.second, from: next) {
            if firstOnBackup == nil && self.dataSent(net, slot: 1) > 0 { firstOnBackup = net.now - cut }
        }
        let takeover = try XCTUnwrap(firstOnBackup)
        XCTAssertLessThanOrEqual(takeover, 100 * Time.millisecond, "takeover on the router's PATH_SILENT")
        XCTAssertGreaterThan(net.router.peers[Seed.routerPeerVM0].counters.silenceAlarmsSent, 0)
        XCTAssertGreaterThan(net.routerPeer(of: Seed.vm0).counters.replayed, 0, "the unacknowledged tail is replayed")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 1)

        net.wire(0).isCut = false
        let repair = net.now
        let onBackup = dataSent(net, slot: 1)
        next = flow(net, for: 5 * Time.second, from: next)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 1, "the primary must stay clean for revert-after first")
        XCTAssertGreaterThan(dataSent(net, slot: 1), onBackup)
        next = flow(net, for: 8 * Time.second, from: next)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0, "back on the primary")
        XCTAssertGreaterThan(net.routerPeer(of: Seed.vm0).failover.since - repair, 10 * Time.second - 200 * Time.millisecond)
        let delivered = net.nodes[Seed.vm2].deliveredSequences
        XCTAssertEqual(Set(delivered), Set(0..<next), "nothing lost: the replay covers the cut")
        XCTAssertEqual(delivered.count, Int(next), "and nothing delivered twice")
        // Make-before-break: on failback both links carry a copy for the overlap.
        let last = net.routerPeer(of: Seed.vm0).failover
        XCTAssertEqual(last.switches, initialSwitches + 2, "one takeover, one failback")
    }

    func testAFlappingPrimaryIsHeldBackLongerEachTime() throws {
        let net = failoverNetwork()
        net.vm0.configuration.flapWindow = 300 * Time.second  // every cycle below counts
        var next: UInt64 = 0
        var holds: [UInt64] = []
        for _ in 0..<3 {
            net.wire(0).isCut = true
            next = flow(net, for: Time.second, from: next)
            XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 1)
            net.wire(0).isCut = false
            let repair = net.now
            while net.routerPeer(of: Seed.vm0).failover.active != 0 && net.now - repair < 200 * Time.second {
                next = flow(net, for: Time.second, from: next)
            }
            holds.append(net.now - repair)
        }
        XCTAssertEqual(holds.count, 3)
        XCTAssertEqual(Double(holds[0]) / 1e9, 10, accuracy: 1.5, "revert-after")
        XCTAssertEqual(Double(holds[1]) / 1e9, 20, accuracy: 1.5, "damped: doubled after a second takeover")
        XCTAssertEqual(Double(holds[2]) / 1e9, 40, accuracy: 1.5)
    }

    func testEveryPacketDuringACutArrivesWithinTheDeadline() throws {
        let net = failoverNetwork()
        var sentAt: [UInt64: UInt64] = [:]
        var sequence: UInt64 = 0
        var arrivals: [UInt64: UInt64] = [:]
        func run(_ duration: UInt64) {
            let end = net.now + duration
            while net.now < end {
                if net.now % (20 * Time.millisecond) < net.tickInterval {
                    net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address,
                                                                            destination: Seed.vm2Address, sequence: sequence))
                    sentAt[sequence] = net.now
                    sequence += 1
                }
                net.advance(by: net.tickInterval)
                for s in net.nodes[Seed.vm2].deliveredSequences where arrivals[s] == nil { arrivals[s] = net.now }
            }
        }
        run(Time.second)
        net.wire(0).isCut = true
        run(5 * Time.second)
        net.wire(0).isCut = false
        run(15 * Time.second)
        XCTAssertEqual(arrivals.count, Int(sequence), "0 lost")
        let late = sentAt.filter { sent in
            guard let arrived = arrivals[sent.key] else { return true }
            return arrived - sent.value > 150 * Time.millisecond
        }
        XCTAssertEqual(late.count, 0, "0 late (150 ms deadline)")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0, "back on the primary after the repair")
    }

    func testAStreamThatEndsIsNotTakenForACut() throws {
        let net = failoverNetwork()
        _ = flow(net, for: 2 * Time.second)
        net.advance(by: 3 * Time.second)
        XCTAssertGreaterThan(net.routerPeer(of: Seed.vm0).counters.silenceAlarmsReceived, 0, "the router saw the silence")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0, "but no data was sent into it: no takeover")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.replayed, 0)
    }

    // MARK: LINK_ROLES

    func testTheRouterFollowsTheHostsRolesDownstream() throws {
        let net = failoverNetwork()
        let atRouter = net.router.peers[Seed.routerPeerVM0]
        XCTAssertEqual(atRouter.linkPolicies[1], LinkPolicy(role: .backup))
        XCTAssertEqual(atRouter.modeOverride, .failover)
        let before = atRouter.connections.map { $0.statistics.traffic.txDataPackets + $0.statistics.traffic.txDuplicatePackets }
        net.stream(from: Seed.vm2, source: Seed.vm2Address, destination: Seed.vm0Address, sequences: 0..<50,
                   interval: 20 * Time.millisecond)
        net.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm0].deliveredSequences, Array(0..<50))
        for (c, earlier) in zip(atRouter.connections, before) {
            let sent = c.statistics.traffic.txDataPackets + c.statistics.traffic.txDuplicatePackets - earlier
            XCTAssertEqual(sent, c.remotePathID >> 8 == 1 ? 0 : 50, "downstream: nothing on vm0's backup")
        }
        // A change is announced again, and applied once.
        net.vm0.setLinkPolicy(LinkPolicy(role: .never), slot: 1)
        net.advance(by: 200 * Time.millisecond)
        XCTAssertEqual(atRouter.linkPolicies[1].role, .never)
    }

    func testMalformedLinkRolesChangeNothing() throws {
        let net = Seed.establishedNetwork()
        let peer = net.router.peers[Seed.routerPeerVM0]
        func apply(_ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBytes { net.router.applyLinkRoles($0.baseAddress!, length: $0.count, to: peer) }
        }
        let good: [UInt8] = [3, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 1, 2, 1, 0]  // PROTOCOL.md 14.3's example body
        for bad in [Array(good.dropLast()), good.enumerated().map { $0.offset == 6 ? 65 : $0.element },
                    good.enumerated().map { $0.offset == 13 ? 4 : $0.element },
                    good.enumerated().map { $0.offset == 14 ? 3 : $0.element },
                    good.enumerated().map { $0.offset == 12 ? 0 : $0.element },
                    good.enumerated().map { $0.offset == 4 ? 2 : $0.element }] {
            XCTAssertFalse(apply(bad), "\(bad)")
        }
        XCTAssertEqual(peer.linkPolicies[1], .primary)
        XCTAssertNil(peer.modeOverride)
        XCTAssertTrue(apply(good))
        XCTAssertEqual(peer.linkPolicies[1], LinkPolicy(role: .backup, metered: true))
        XCTAssertEqual(peer.modeOverride, .failover)
        var older = good
        older[0] = 2
        older[13] = 3
        XCTAssertTrue(apply(older), "well formed")
        XCTAssertEqual(peer.linkPolicies[1].role, .backup, "but older: not applied")
    }

    func testRandomFeedbackBodiesNeverCrashAndMalformedOnesAreCounted() throws {
        let net = Seed.establishedNetwork()
        var rng = SplitMix64(seed: 0x6d6c_0014)
        for engine in [net.router, net.vm0] {
            let peer = engine.peers[0]
            let before = peer.counters.controlMalformed
            var malformed = 0
            for round in 0..<2000 {
                let kind: UInt8 = round % 2 == 0 ? 32 : 33
                let length = Int(rng.next() % 40)
                let body = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if kind == 33 && length != 8 { malformed += 1 }
                body.withUnsafeBytes { bytes in
                    let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
                    _ = engine.receiveLinkControl(kind: kind, body: base, length: length, from: 0, on: 0, now: net.now)
                }
            }
            XCTAssertGreaterThanOrEqual(Int(peer.counters.controlMalformed - before), malformed)
        }
    }
}
