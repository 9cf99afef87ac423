import MLinkControl
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// What an idle or standby link costs, and the failover decisions that keep a backup cold (issue 14's missed
/// targets), on the fake clock.
/// (The helpers `flow`, `withLatency`, `dataSent` and `failoverNetwork` are LinkPolicyTests'.)
extension LinkPolicyTests {
    private func packet(_ sequence: UInt64) -> [UInt8] {
        Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address, sequence: sequence)
    }

    // MARK: Stray packets

    /// The seed lab's idle cost (29 MB a day per link) came from single packets the kernel sends on an idle TUN
    /// (IPv6 router solicitations, MLD reports): each made the path busy for `idleAfter`, about 20 fast probes.
    func testAStrayPacketOnAnIdleLinkCostsTheOneProbeItOwesNotTwoSecondsOfFastProbes() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.advance(by: 10 * Time.second)
        let live = net.routerPeer(of: Seed.vm0).connections.indices.filter {
            net.routerPeer(of: Seed.vm0).connections[$0].lastReceived != 0
        }
        XCTAssertEqual(live.count, 2)
        let before = live.map { net.routerPeer(of: Seed.vm0).connections[$0].statistics.probesSent }
        net.transmit(from: Seed.vm0, packet: packet(0))
        net.advance(by: net.tickInterval)
        for (c, earlier) in zip(live, before) {
            XCTAssertEqual(net.routerPeer(of: Seed.vm0).connections[c].statistics.probesSent - earlier, 1,
                           "the first packet after an idle spell is followed by a probe at once (the next tick)")
        }
        net.advance(by: 2 * Time.second)
        for (c, earlier) in zip(live, before) {
            let connection = net.routerPeer(of: Seed.vm0).connections[c]
            let probes = connection.statistics.probesSent - earlier
            XCTAssertEqual(probes, 1, "only the probe it owes, which announced the slow rate already (was about 20)")
            XCTAssertEqual(connection.state, .up)
            XCTAssertEqual(connection.probeIntervalInEffect, net.vm0.configuration.standbyProbeInterval)
        }
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, [0])
    }

    func testAFlowOneWayStillKeepsThePathProbedFast() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.advance(by: 10 * Time.second)
        _ = flow(net, for: Time.second, every: 200 * Time.millisecond)
        for c in net.routerPeer(of: Seed.vm0).connections where c.lastReceived != 0 {
            XCTAssertEqual(c.probeIntervalInEffect, 100 * Time.millisecond, "a stream of packets is a flow")
        }
    }

    func testAHostDropsWhatMustStayOnItsLinkAndCountsIt() throws {
        let net = Seed.establishedNetwork()
        let before = net.vm0.globalDrops.noRoute
        let sentBefore = net.sent.count
        let linkScoped = [
            Fixture.ipv6Packet(source: "fe80::1", destination: "ff02::2"),        // router solicitation
            Fixture.ipv6Packet(source: "::", destination: "ff02::16"),            // MLD report before DAD
            Fixture.ipv6Packet(source: "2001:db8::1", destination: "fe80::9"),
            Fixture.ipv6Packet(source: "2001:db8::1", destination: "ff01::1"),
            Fixture.ipv4Packet(source: Seed.vm0Address, destination: "224.0.0.22", sequence: 1),  // IGMPv3
            Fixture.ipv4Packet(source: "169.254.3.4", destination: Seed.vm2Address, sequence: 2),
        ]
        for p in linkScoped { XCTAssertEqual(net.transmit(from: Seed.vm0, packet: p), 0) }
        XCTAssertEqual(net.vm0.globalDrops.noRoute - before, UInt64(linkScoped.count))
        XCTAssertEqual(net.sent.count, sentBefore, "nothing on any link")
        let routable = [
            Fixture.ipv6Packet(source: "2001:db8::1", destination: "ff05::2"),    // site scope: the router decides
            Fixture.ipv4Packet(source: Seed.vm0Address, destination: "224.0.1.1", sequence: 3),
            Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address, sequence: 4),
        ]
        for p in routable { XCTAssertEqual(net.transmit(from: Seed.vm0, packet: p), 2, "a copy per link") }
        XCTAssertEqual(net.vm0.globalDrops.noRoute - before, UInt64(linkScoped.count))
    }

    // MARK: Compact probes (PROTOCOL.md section 6)

    func testAnIdleLinkSendsCompactProbesLaidOutAsTheProtocolSays() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.advance(by: 10 * Time.second)
        let firstProbe = net.sent.count
        net.advance(by: 11 * Time.second)
        let probes = net.sent[firstProbe...].filter { $0.bytes.first == WireFormat.MessageType.probe.rawValue }
        let host = probes.filter { $0.fromNode == Seed.vm0 }
        let router = probes.filter { $0.fromNode == Seed.router && net.owner(of: $0.destination)?.node == Seed.vm0 }
        var requests = 0, replies = 0
        for datagram in host + router {
            guard let opened = net.plaintext(of: datagram) else { continue }
            XCTAssertEqual(datagram.bytes.count, WireFormat.transportOverhead + 8, "compact: 80 bytes on the wire over IPv4")
            let plain = Array(opened[WireFormat.transportHeaderSize..<(WireFormat.transportHeaderSize + 8)])
            if datagram.fromNode == Seed.vm0 {
                requests += 1
                XCTAssertEqual(Array(plain[0..<4]), [1, 0, 0x88, 0x13], "request, 5000 ms announced")
            } else {
                replies += 1
                XCTAssertEqual(Array(plain[0..<4]), [2, 0, 0, 0])
            }
        }
        XCTAssertGreaterThanOrEqual(requests, 4, "two links, a probe every 5 s")
        XCTAssertEqual(replies, requests)
        for c in net.routerPeer(of: Seed.vm0).connections where c.lastReceived != 0 {
            XCTAssertEqual(Double(c.statistics.smoothedRTT) / 1e6, 20, accuracy: 1, "compact replies still measure the RTT")
            XCTAssertEqual(c.state, .up)
        }
        let atRouter = net.router.peers[Seed.routerPeerVM0].connections.filter { $0.lastReceived != 0 }
        XCTAssertFalse(atRouter.isEmpty)
        for c in atRouter {
            XCTAssertEqual(c.statistics.peerProbeInterval, 5 * Time.second, "the router times the path by the slow rate")
            XCTAssertEqual(c.state, .up)
            XCTAssertGreaterThan(c.statistics.smoothedRTT, 0, "the last full request's RTT is kept")
        }
    }

    func testTheCompactProbeExampleOfTheProtocol() throws {
        // PROTOCOL.md section 6: 5000 ms announced, requester clock 12 345 678 901 ns.
        let clock: UInt64 = 12_345_678_901
        let echo = UInt32(truncatingIfNeeded: clock / 1000)
        let request: [UInt8] = [1, 0] + withUnsafeBytes(of: UInt16(5000).littleEndian, Array.init)
            + withUnsafeBytes(of: echo.littleEndian, Array.init)
        XCTAssertEqual(request, [0x01, 0x00, 0x88, 0x13, 0x4e, 0x61, 0xbc, 0x00])
        // The engine writes the same bytes (its sealed form opened again).
        let net = Seed.establishedNetwork()
        let peer = net.routerPeer(of: Seed.vm0)
        let c = try XCTUnwrap(peer.connections.firstIndex { $0.lastReceived != 0 })
        peer.connections[c].probeIntervalInEffect = 5 * Time.second
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
        defer { buffer.deallocate() }
        let length = net.vm0.writeProbe(kind: .request, echo: clock, compact: true, peer: peer, connection: c,
                                        into: buffer, now: clock)
        XCTAssertEqual(length, WireFormat.transportOverhead + 8)
        let datagram = FakeNetwork.Datagram(fromNode: Seed.vm0, slot: peer.connections[c].slot, source: peer.connections[c].local,
                                            destination: peer.connections[c].remote,
                                            bytes: Array(UnsafeRawBufferPointer(start: buffer, count: length)))
        let opened = try XCTUnwrap(net.plaintext(of: datagram))
        XCTAssertEqual(Array(opened[WireFormat.transportHeaderSize..<(WireFormat.transportHeaderSize + 8)]), request)
    }

    func testProbePayloadsOfOtherLengthsAreMalformed() throws {
        let net = Seed.establishedNetwork()
        let peer = net.routerPeer(of: Seed.vm0)
        let c = try XCTUnwrap(peer.connections.firstIndex { $0.lastReceived != 0 })
        let before = net.vm0.globalDrops.malformed
        for size in [0, 7, 9, 16, 23, 25] {
            var payload = [UInt8](repeating: 0, count: max(size, 1))
            payload[0] = 2
            _ = payload.withUnsafeMutableBytes {
                net.vm0.receiveProbe($0.baseAddress!, length: size, peer: peer, connection: c, now: net.now)
            }
        }
        XCTAssertEqual(net.vm0.globalDrops.malformed - before, 6)
    }

    // MARK: Failover's first choice

    /// The lab's standby carried data (and fast probes) for the first 10 s in two runs of three: whichever path
    /// answered first after the handshake became the active link, and failback to the primary waited the hold.
    func testTheFirstChoiceGivesWayToTheBestRoleAtOnceWhenTheBackupAnsweredFirst() throws {
        let net = Seed.network()
        net.vm0.configuration.mode = .failover
        net.vm0.setLinkPolicy(LinkPolicy(role: .primary), slot: 0)
        net.vm0.setLinkPolicy(LinkPolicy(role: .backup), slot: 1)
        net.wire(0).latency = 40 * Time.millisecond
        net.wire(1).latency = 5 * Time.millisecond
        net.wire(2).latency = 10 * Time.millisecond
        net.wire(3).latency = 10 * Time.millisecond
        var firstChoice = -1
        let start = net.now
        while net.now - start < 2 * Time.second {
            net.advance(by: net.tickInterval)
            if firstChoice < 0 { firstChoice = net.routerPeer(of: Seed.vm0).failover.active }
        }
        XCTAssertEqual(firstChoice, 1, "the backup answered first (the case this covers)")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0, "the primary, without waiting revert-after")
        let onBackup = dataSent(net, slot: 1)
        let sent = flow(net, for: 5 * Time.second)
        XCTAssertEqual(dataSent(net, slot: 1), onBackup, "0 data on the backup")
        net.advance(by: 100 * Time.millisecond)  // the last packets are on their way (40 + 10 ms)
        XCTAssertEqual(Set(0..<sent).subtracting(net.nodes[Seed.vm2].deliveredSequences), [])
        // After a real takeover the hold applies again.
        net.wire(0).isCut = true
        var next = flow(net, for: 2 * Time.second, from: sent)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 1)
        XCTAssertFalse(net.routerPeer(of: Seed.vm0).failover.provisional)
        net.wire(0).isCut = false
        next = flow(net, for: 5 * Time.second, from: next)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 1, "failback after a takeover waits the hold")
    }

    // MARK: Takeover on a send error

    func testASendErrorOnTheActiveLinkMovesDataAtOnceAndLosesNothing() throws {
        let net = failoverNetwork()
        var next = flow(net, for: Time.second)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0)
        XCTAssertEqual(dataSent(net, slot: 1), 0)
        net.refuses = { node, slot in node == Seed.vm0 && slot == 0 }
        var failure: UInt64?, takeover: UInt64?
        next = flow(net, for: 2 * Time.second, from: next) {
            let drops = net.connection(of: Seed.vm0, pathID: 0x0000)?.statistics.sendDrops ?? 0
            if failure == nil && drops > 0 { failure = net.now }
            if takeover == nil && net.routerPeer(of: Seed.vm0).failover.active == 1 { takeover = net.now }
        }
        let refused = try XCTUnwrap(failure), switched = try XCTUnwrap(takeover)
        XCTAssertLessThanOrEqual(switched - refused, net.tickInterval, "at the next tick after the refused send")
        XCTAssertGreaterThan(dataSent(net, slot: 1), 0)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 1)
        let connection = try XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000))
        XCTAssertGreaterThan(connection.statistics.sendDrops, 0)
        XCTAssertGreaterThan(net.routerPeer(of: Seed.vm0).counters.replayed, 0, "the refused packet is replayed")
        net.refuses = nil
        let repair = net.now
        while net.routerPeer(of: Seed.vm0).failover.active != 0 && net.now - repair < 20 * Time.second {
            next = flow(net, for: 100 * Time.millisecond, from: next)
        }
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0, "back on the primary")
        XCTAssertGreaterThanOrEqual(net.now - repair, 10 * Time.second - 500 * Time.millisecond, "after the hold")
        next = flow(net, for: 500 * Time.millisecond, from: next)
        let delivered = net.nodes[Seed.vm2].deliveredSequences
        XCTAssertEqual(Set(delivered), Set(0..<next), "nothing lost")
        XCTAssertEqual(delivered.count, Int(next), "nothing delivered twice")
    }

    func testASendErrorInRedundantModeChangesNoCopies() throws {
        let net = Seed.establishedNetwork()
        withLatency(net)
        net.advance(by: Time.second)
        net.refuses = { node, slot in node == Seed.vm0 && slot == 0 }
        let sent = flow(net, for: Time.second)
        XCTAssertEqual(dataSent(net, slot: 1), sent, "every packet still has its copy on the other link")
        XCTAssertEqual(Set(net.nodes[Seed.vm2].deliveredSequences), Set(0..<sent))
    }
}
