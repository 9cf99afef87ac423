import MLinkProtocol
import MLinkTestSupport
import MLinkTypes
import XCTest

/// Control messages (PROTOCOL.md section 14) between a real host and router engine: reliability, full state,
/// ACKs, malformed payloads, and the events and dynamic prefixes the daemon builds on.
final class ControlChannelTests: XCTestCase {
    /// The PROTOCOL.md example: kind 5, seq 7, body 01 02 03, ack requested.
    func testHeaderMatchesTheDocumentedExample() {
        var bytes = [UInt8](repeating: 0, count: 11)
        bytes.withUnsafeMutableBytes { buffer in
            ControlHeader(kind: 5, flags: ControlHeader.ackRequested, bodyLength: 3, seq: 7).write(to: buffer.baseAddress!)
        }
        bytes[8] = 1; bytes[9] = 2; bytes[10] = 3
        XCTAssertEqual(bytes, [0x05, 0x80, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03])
        let header = bytes.withUnsafeBytes { ControlHeader.read(from: $0.baseAddress!, length: 11) }
        XCTAssertEqual(header, ControlHeader(kind: 5, flags: 0x80, bodyLength: 3, seq: 7))
        // A body length that is not the rest of the payload, or a payload shorter than the header: malformed.
        XCTAssertNil(bytes.withUnsafeBytes { ControlHeader.read(from: $0.baseAddress!, length: 10) })
        XCTAssertNil(bytes.withUnsafeBytes { ControlHeader.read(from: $0.baseAddress!, length: 7) })
    }

    func testAReliableMessageArrivesOnceAndIsAcknowledged() throws {
        let pair = EnginePair(links: 2)
        try pair.host.sendControl(to: 0, kind: ControlKind.routeAnnounce, flags: 3, body: [9, 8, 7], reliability: .reliable)
        XCTAssertTrue(pair.host.hasControlWork)
        pair.host.flushControl(now: pair.now, into: pair.out)
        XCTAssertEqual(pair.out.count, 2, "one copy per link, like data")
        pair.deliverFromHost()
        XCTAssertEqual(pair.routerControls.count, 1, "the second copy is a duplicate")
        XCTAssertEqual(pair.routerControls.first?.kind, ControlKind.routeAnnounce)
        XCTAssertEqual(pair.routerControls.first?.flags, 3, "bit 7 is the framework's")
        XCTAssertEqual(pair.routerControls.first?.body, [9, 8, 7])
        XCTAssertEqual(pair.host.pendingControlCount(of: 0), 1)
        // The router owes an ACK and sends it in its next flush; the host then forgets the message.
        pair.router.flushControl(now: pair.now, into: pair.out)
        XCTAssertGreaterThan(pair.out.count, 0)
        pair.deliverFromRouter()
        XCTAssertEqual(pair.host.pendingControlCount(of: 0), 0)
        XCTAssertTrue(pair.hostControls.isEmpty, "ACKs are the engine's own")
        pair.now += 5_000_000_000
        pair.host.flushControl(now: pair.now, into: pair.out)
        XCTAssertEqual(pair.out.count, 0, "an acknowledged message is never sent again")
        XCTAssertEqual(pair.host.peers[0].counters.controlRetransmits, 0)
    }

    func testALostMessageIsRetransmittedWithBackoffUntilAcknowledged() throws {
        let pair = EnginePair(links: 1)
        try pair.host.sendControl(to: 0, kind: 1, body: [1], reliability: .reliable)
        var sendTimes: [UInt64] = []
        let start = pair.now
        // Everything the host sends is lost for 1.6 s of 10 ms steps.
        for _ in 0..<160 {
            pair.now += 10_000_000
            pair.host.flushControl(now: pair.now, into: pair.out)
            if pair.out.count > 0 { sendTimes.append(pair.now - start) }
            pair.host.completeTransmission(pair.out)
        }
        // At once, then after 100, 200, 400, 800 ms.
        XCTAssertEqual(sendTimes, [10_000_000, 110_000_000, 310_000_000, 710_000_000, 1_510_000_000])
        XCTAssertEqual(pair.host.peers[0].counters.controlRetransmits, 4)
        // Now one gets through: delivered once, acknowledged, done.
        pair.now += 2_000_000_000
        pair.host.flushControl(now: pair.now, into: pair.out)
        pair.deliverFromHost()
        pair.router.flushControl(now: pair.now, into: pair.out)
        pair.deliverFromRouter()
        XCTAssertEqual(pair.routerControls.count, 1)
        XCTAssertEqual(pair.host.pendingControlCount(of: 0), 0)
    }

    func testARetransmissionAfterALostAckIsDeliveredAgainAndAcknowledgedAgain() throws {
        let pair = EnginePair(links: 1)
        try pair.host.sendControl(to: 0, kind: 2, body: [5], reliability: .reliable)
        pair.host.flushControl(now: pair.now, into: pair.out)
        pair.deliverFromHost()
        pair.router.flushControl(now: pair.now, into: pair.out)
        pair.router.completeTransmission(pair.out)  // the ACK is lost
        pair.now += 150_000_000
        pair.host.flushControl(now: pair.now, into: pair.out)
        pair.deliverFromHost()
        XCTAssertEqual(pair.routerControls.count, 2, "a new counter: the receiver sees the message again (kinds are idempotent)")
        pair.router.flushControl(now: pair.now, into: pair.out)
        pair.deliverFromRouter()
        XCTAssertEqual(pair.host.pendingControlCount(of: 0), 0)
    }

    func testAFullStateMessageReplacesThePendingOlderOne() throws {
        let pair = EnginePair(links: 1)
        try pair.host.sendControl(to: 0, kind: ControlKind.routeAnnounce, body: [1], reliability: .fullState)
        try pair.host.sendControl(to: 0, kind: ControlKind.routeAnnounce, body: [2], reliability: .fullState)
        try pair.host.sendControl(to: 0, kind: ControlKind.addressRequest, body: [3], reliability: .reliable)
        XCTAssertEqual(pair.host.pendingControlCount(of: 0), 2)
        pair.host.flushControl(now: pair.now, into: pair.out)
        pair.deliverFromHost()
        XCTAssertEqual(pair.routerControls.map(\.body), [[2], [3]])
    }

    func testAnUnreliableMessageIsSentOnceAndNeverAcknowledged() throws {
        let pair = EnginePair(links: 1)
        try pair.host.sendControl(to: 0, kind: 48, body: [7, 7], reliability: .unreliable)
        pair.host.flushControl(now: pair.now, into: pair.out)
        pair.deliverFromHost()
        XCTAssertEqual(pair.routerControls.count, 1)
        XCTAssertEqual(pair.host.pendingControlCount(of: 0), 0)
        XCTAssertFalse(pair.router.hasControlWork, "nothing to acknowledge")
    }

    func testLimitsAreRefusedToTheCaller() throws {
        let pair = EnginePair(links: 1)
        XCTAssertThrowsError(try pair.host.sendControl(to: 0, kind: 1, body: [UInt8](repeating: 0, count: 1201), reliability: .reliable)) {
            XCTAssertEqual($0 as? ControlSendError, .bodyTooLong(1201))
        }
        XCTAssertThrowsError(try pair.host.sendControl(to: 0, kind: ControlKind.ack, body: [], reliability: .unreliable)) {
            XCTAssertEqual($0 as? ControlSendError, .reservedKind(127))
        }
        for n in 0..<16 { try pair.host.sendControl(to: 0, kind: 1, body: [UInt8(n)], reliability: .reliable) }
        XCTAssertThrowsError(try pair.host.sendControl(to: 0, kind: 1, body: [16], reliability: .reliable)) {
            XCTAssertEqual($0 as? ControlSendError, .tooManyPending)
        }
        XCTAssertEqual(pair.host.peers[0].counters.controlOverflow, 1)
        // A full body fits in one datagram.
        let pair2 = EnginePair(links: 1)
        try pair2.host.sendControl(to: 0, kind: 1, body: [UInt8](repeating: 0xab, count: 1200), reliability: .reliable)
        pair2.host.flushControl(now: pair2.now, into: pair2.out)
        XCTAssertEqual(pair2.out.length(at: 0), 44 + 8 + 1200)
        pair2.deliverFromHost()
        XCTAssertEqual(pair2.routerControls.first?.body.count, 1200)
    }

    func testAMessageQueuedBeforeTheSessionLeavesWhenItIsUp() throws {
        let pair = EnginePair(links: 1, rounds: 0)
        try pair.host.sendControl(to: 0, kind: 1, body: [4], reliability: .reliable)
        pair.host.flushControl(now: pair.now, into: pair.out)
        XCTAssertEqual(pair.out.count, 0, "no session yet")
        for _ in 0..<10 { pair.exchange() }
        XCTAssertEqual(pair.routerControls.map(\.body), [[4]])
        XCTAssertEqual(pair.host.pendingControlCount(of: 0), 0)
    }

    func testMalformedControlPayloadsAreCountedNotDelivered() throws {
        let pair = EnginePair(links: 1)
        // Seal a payload whose body length lies (says 9, carries 3) through the engine's own outbound path.
        let payload = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { payload.deallocate() }
        ControlHeader(kind: 5, flags: 0, bodyLength: 9, seq: 1).write(to: payload)
        pair.host.encapsulate(payload, length: 11, to: 0, inPlace: false, into: pair.out, now: pair.now, type: .control)
        // An ACK with a misaligned body.
        ControlHeader(kind: ControlKind.ack, flags: 0, bodyLength: 3, seq: 2).write(to: payload)
        pair.host.encapsulate(payload, length: 11, to: 0, inPlace: false, into: pair.out, now: pair.now, type: .control)
        pair.deliverFromHost()
        XCTAssertTrue(pair.routerControls.isEmpty)
        XCTAssertEqual(pair.router.peers[0].counters.controlMalformed, 2)
        XCTAssertFalse(pair.router.hasControlWork, "a malformed message is never acknowledged")
    }

    func testEventsReportSessionsAndTheBundle() {
        let pair = EnginePair(links: 2, rounds: 0)
        var hostEvents: [TunnelEngine.Event] = [], routerEvents: [TunnelEngine.Event] = []
        for _ in 0..<20 { pair.exchange() }
        pair.host.drainEvents { hostEvents.append($0) }
        pair.router.drainEvents { routerEvents.append($0) }
        XCTAssertEqual(hostEvents.first, .sessionEstablished(peer: 0))
        XCTAssertTrue(hostEvents.contains(.bundleUp(peer: 0)))
        XCTAssertEqual(routerEvents.first, .sessionEstablished(peer: 0))
        XCTAssertTrue(routerEvents.contains(.bundleUp(peer: 0)))
        // Silence on every link: the host sees the bundle go down within a second.
        hostEvents = []
        var downAfter: UInt64? = nil
        let cut = pair.now
        for _ in 0..<40 {
            pair.now += 25_000_000
            pair.host.tick(now: pair.now, into: pair.out)
            pair.host.completeTransmission(pair.out)
            pair.host.drainEvents { if $0 == .bundleDown(peer: 0), downAfter == nil { downAfter = pair.now - cut } }
        }
        XCTAssertNotNil(downAfter)
        XCTAssertLessThan(downAfter ?? .max, 1_000_000_000)
    }

    func testDynamicPrefixesRouteAndPassTheSourceCheck() {
        let pair = EnginePair(links: 1)
        let lan = IPNetwork(address: IPAddress(ipv4: 0xC0A8_3200), prefixLength: 24)!  // 192.168.50.0/24
        let inside = IPAddress(ipv4: 0xC0A8_3207)
        let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
        defer { packet.deallocate() }
        func sendFromHost(source: IPAddress) -> Int {
            EnginePair.writeIPv4(into: packet + 28, length: 100, source: source)
            pair.host.encapsulate(packet + 28, length: 100, to: 0, inPlace: true, into: pair.out, now: pair.now)
            return pair.deliverFromHost()
        }
        XCTAssertEqual(sendFromHost(source: inside), 0, "outside the host's allowed-ips")
        XCTAssertEqual(pair.router.peers[0].counters.sourceRejected, 1)
        XCTAssertNil(pair.router.peer(forOutbound: packetTo(inside), length: 20))
        pair.router.setDynamicPrefixes([lan], owner: .announcement, peer: 0)
        XCTAssertEqual(sendFromHost(source: inside), 1)
        XCTAssertEqual(pair.router.peer(forOutbound: packetTo(inside), length: 20), 0)
        pair.router.setDynamicPrefixes([], owner: .announcement, peer: 0)
        XCTAssertEqual(sendFromHost(source: inside), 0, "withdrawn")
        XCTAssertNil(pair.router.peer(forOutbound: packetTo(inside), length: 20))
        XCTAssertEqual(sendFromHost(source: EnginePair.hostVirtual), 1, "static allowed-ips stay")
    }

    /// A 20-byte IPv4 header to `destination` (what `peer(forOutbound:)` reads).
    private func packetTo(_ destination: IPAddress) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 20, alignment: 4)
        EnginePair.writeIPv4(into: p, length: 20, destination: destination)
        addTeardownBlock { p.deallocate() }
        return p
    }
}
