import MLinkControl
import MLinkTestSupport
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Receiver feedback (FEEDBACK, control kind 34), cross-link repair, the adaptive planner's use of per-direction
/// loss, and the NACK-burst takeover (PROTOCOL.md section 14.3), on the fake clock.
final class FeedbackTests: XCTestCase {
    // MARK: The message

    /// PROTOCOL.md 14.3's example, byte for byte, both ways.
    func testTheDocumentExample() throws {
        let summary = FeedbackMessage.PathSummary(pathID: 0x0100, loss: 1311.0 / 65535, highestSequence: 500,
                                                  silenceMilliseconds: 12, rate: 250, received: 490)
        let body = FeedbackMessage.encode(highest: 1000, ranges: [.init(first: 990, count: 2)], summaries: [summary])
        var payload = [UInt8](repeating: 0, count: ControlHeader.size + body.count)
        payload.withUnsafeMutableBytes {
            ControlHeader(kind: FeedbackMessage.kind, flags: 0, bodyLength: body.count, seq: 5).write(to: $0.baseAddress!)
        }
        payload.replaceSubrange(ControlHeader.size..., with: body)
        let expected: [UInt8] = [0x22, 0x00, 0x22, 0x00, 0x05, 0x00, 0x00, 0x00,
                                 0xe8, 0x03, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x00, 0x00,
                                 0x0a, 0x00, 0x00, 0x00, 0x02, 0x00,
                                 0x00, 0x01, 0x1f, 0x05, 0xf4, 0x01, 0x00, 0x00, 0x0c, 0x00, 0xfa, 0x00, 0xea, 0x01, 0x00, 0x00]
        XCTAssertEqual(payload, expected)
        XCTAssertEqual(payload.count, 42)
        try body.withUnsafeBytes { buffer in
            let message = try XCTUnwrap(FeedbackMessage(body: buffer.baseAddress!, length: buffer.count))
            XCTAssertEqual(message.highest, 1000)
            XCTAssertEqual(message.rangeCount, 1)
            XCTAssertEqual(message.range(0), .init(first: 990, count: 2))
            XCTAssertEqual(message.nackedCount, 2)
            XCTAssertTrue(message.isNacked(990) && message.isNacked(991))
            XCTAssertFalse(message.isNacked(989) || message.isNacked(992))
            XCTAssertEqual(message.summaryCount, 1)
            let decoded = message.summary(0)
            XCTAssertEqual(decoded.pathID, 0x0100)
            XCTAssertEqual(decoded.loss, 0.02, accuracy: 0.0001)
            XCTAssertEqual(decoded.highestSequence, 500)
            XCTAssertEqual(decoded.silenceMilliseconds, 12)
            XCTAssertEqual(decoded.rate, 250)
            XCTAssertEqual(decoded.received, 490)
        }
    }

    private func parses(_ body: [UInt8]) -> Bool {
        body.withUnsafeBytes { FeedbackMessage(body: $0.baseAddress!, length: $0.count) != nil }
    }

    func testEveryMalformedShapeIsRefused() {
        let good = FeedbackMessage.encode(highest: 1000, ranges: [.init(first: 900, count: 3), .init(first: 950, count: 1)],
                                          summaries: [])
        XCTAssertTrue(parses(good))
        XCTAssertTrue(parses(FeedbackMessage.encode(highest: 5, ranges: [], summaries: [])), "a bare summary of nothing")
        XCTAssertFalse(parses(Array(good.dropLast())), "length")
        XCTAssertFalse(parses(good + [0]), "length")
        XCTAssertFalse(parses([UInt8](repeating: 0, count: 11)), "shorter than the fixed part")
        var reserved = good; reserved[10] = 1
        XCTAssertFalse(parses(reserved), "reserved byte")
        var tooMany = [UInt8](repeating: 0, count: 12 + 33 * 6); tooMany[0] = 0xff; tooMany[1] = 0xff; tooMany[8] = 33
        XCTAssertFalse(parses(tooMany), "33 ranges")
        var tooManySummaries = [UInt8](repeating: 0, count: 12 + 17 * 16); tooManySummaries[9] = 17
        XCTAssertFalse(parses(tooManySummaries), "17 summaries")
        func one(back: UInt32, length: UInt16, highest: UInt64 = 1000) -> [UInt8] {
            var body = [UInt8](repeating: 0, count: 18)
            body.withUnsafeMutableBytes {
                LE.put($0.baseAddress!, 0, highest)
                LE.put($0.baseAddress!, 12, back)
                LE.put($0.baseAddress!, 16, length)
            }
            body[8] = 1
            return body
        }
        XCTAssertTrue(parses(one(back: 10, length: 10)))
        XCTAssertFalse(parses(one(back: 0, length: 1)), "back 0")
        XCTAssertFalse(parses(one(back: 10, length: 0)), "length 0")
        XCTAssertFalse(parses(one(back: 10, length: 11)), "a range reaching the highest counter")
        XCTAssertFalse(parses(one(back: 1000, length: 1)), "counter 0 is never sent")
        // Ranges out of order, overlapping, or touching (no counter between them).
        var adjacent = FeedbackMessage.encode(highest: 1000, ranges: [.init(first: 900, count: 3), .init(first: 904, count: 1)],
                                              summaries: [])
        XCTAssertTrue(parses(adjacent), "one counter between: fine")
        adjacent = FeedbackMessage.encode(highest: 1000, ranges: [.init(first: 900, count: 3), .init(first: 903, count: 1)],
                                          summaries: [])
        XCTAssertFalse(parses(adjacent), "touching")
        let backwards = FeedbackMessage.encode(highest: 1000, ranges: [.init(first: 950, count: 1), .init(first: 900, count: 3)],
                                               summaries: [])
        XCTAssertFalse(parses(backwards), "descending")
    }

    func testRandomAndMutatedBodiesNeverCrashAndMalformedOnesChangeNothing() {
        let pair = adaptivePair()
        _ = singleLinkFlow(pair)  // the host holds packets in its ring: NACKs reach the repair code
        let host = pair.host.peers[0]
        var rng = SplitMix64(seed: 0x6d6c_0022)
        let valid = FeedbackMessage.encode(highest: host.session!.sendCounter, ranges: [.init(first: 3, count: 2)],
                                           summaries: [.init(pathID: 0, loss: 0.5, highestSequence: 9,
                                                             silenceMilliseconds: 1, rate: 2, received: 3)])
        var refused = 0
        for round in 0..<3000 {
            var body: [UInt8]
            if round % 2 == 0 {
                body = (0..<Int(rng.next() % 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if body.count > 9 && round % 4 == 0 { body[8] = UInt8(rng.next() % 3); body[9] = UInt8(rng.next() % 3) }
            } else {
                body = valid
                body[Int(rng.next() % UInt64(body.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            let parses = body.withUnsafeBytes { FeedbackMessage(body: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!,
                                                                length: $0.count) != nil }
            if !parses { refused += 1 }
            let malformedBefore = host.counters.controlMalformed, receivedBefore = host.counters.feedbackReceived
            body.withUnsafeBytes { bytes in
                _ = pair.host.receiveLinkControl(kind: FeedbackMessage.kind, body: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!,
                                                 length: bytes.count, from: 0, on: 0, now: pair.now)
            }
            XCTAssertEqual(host.counters.controlMalformed - malformedBefore, parses ? 0 : 1)
            XCTAssertEqual(host.counters.feedbackReceived - receivedBefore, parses ? 1 : 0, "a refused body is not used")
        }
        XCTAssertGreaterThan(refused, 1000)
        pair.host.flushControl(now: pair.now, into: pair.out)  // whatever repairs were queued leave, in bounds
        XCTAssertLessThanOrEqual(pair.out.count, RepairQueue.capacity + 1)
        pair.host.completeTransmission(pair.out)
    }

    // MARK: Repair on an engine pair

    private let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    deinit { packet.deallocate() }

    private func adaptivePair(deadline: UInt64 = 150_000_000) -> EnginePair {
        let pair = EnginePair(links: 2)
        pair.host.setPolicies(PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "calls", mode: .adaptive),
                                             deadline: deadline, targetLoss: 0.5))
        return pair
    }

    /// Encapsulates one 200-byte UDP packet of one flow from the host; the copy on `lose` (a link) is lost.
    /// Returns the links its copies went on.
    @discardableResult
    private func send(_ pair: EnginePair, lose: Int? = nil) -> [Int] {
        EnginePair.writeIPv4(into: packet + 28, length: 200)
        let bytes = (packet + 28).assumingMemoryBound(to: UInt8.self)
        bytes[6] = 0; bytes[7] = 0
        bytes[20] = 0x9c; bytes[21] = 0x40; bytes[22] = 0x1b; bytes[23] = 0x58
        pair.host.encapsulate(packet + 28, length: 200, to: 0, inPlace: true, into: pair.out, now: pair.now)
        let links = (0..<pair.out.count).map { pair.out.slot(at: $0) }
        for i in 0..<pair.out.count where pair.out.slot(at: i) == lose { pair.out.markFailed(i) }
        deliverKept(pair)
        return links
    }

    /// Delivers the host's datagrams not marked failed; returns how many the router delivered.
    @discardableResult
    private func deliverKept(_ pair: EnginePair) -> Int {
        var delivered = 0
        for i in 0..<pair.out.count where !pair.out.isFailed(i) {
            let length = pair.out.length(at: i)
            pair.receiveBuffer.copyMemory(from: pair.out.bytes(at: i), byteCount: length)
            if case .deliver = pair.router.receive(pair.receiveBuffer, length: length, slot: pair.out.slot(at: i),
                                                   source: EnginePair.hostAddress(link: pair.out.slot(at: i)), now: pair.now) {
                delivered += 1
            }
        }
        pair.host.completeTransmission(pair.out)
        return delivered
    }

    /// The pair with a known flow on one link: returns that link.
    private func singleLinkFlow(_ pair: EnginePair) -> Int {
        for _ in 0..<3 { pair.exchange() }
        for _ in 0..<12 {
            send(pair)
            pair.now += 20_000_000
        }
        let links = send(pair)
        XCTAssertEqual(links.count, 1, "a known flow on clean links: one copy")
        return links[0]
    }

    /// Runs the router's tick (its FEEDBACK), hands it to the host, and returns the FEEDBACK copies' links.
    private func routerFeedback(_ pair: EnginePair) -> [Int] {
        pair.router.tick(now: pair.now, into: pair.out)
        var links: [Int] = []
        for i in 0..<pair.out.count {
            let length = pair.out.length(at: i)
            guard pair.out.bytes(at: i).load(as: UInt8.self) == WireFormat.MessageType.control.rawValue else { continue }
            links.append(pair.out.slot(at: i))
            _ = length
        }
        pair.deliverFromRouter()
        return links
    }

    func testANackedPacketIsRepairedOnTheOtherLinkWithinTheDeadline() {
        let pair = adaptivePair()
        let primary = singleLinkFlow(pair)
        let router = pair.router.peers[0], host = pair.host.peers[0]
        let delivered = router.counters.delivered
        send(pair, lose: primary)  // lost on the primary
        pair.now += 4_000_000
        send(pair)  // reveals the gap
        XCTAssertEqual(router.counters.delivered, delivered + 1)
        pair.now += 4_000_000  // past the reorder allowance of a bundle with no delay spread
        XCTAssertEqual(Set(routerFeedback(pair)), [0, 1], "the NACK goes as two copies, one per link")
        XCTAssertEqual(router.counters.nacksSent, 1)
        XCTAssertEqual(host.counters.feedbackReceived, 1, "one message, however many copies")
        XCTAssertEqual(host.pendingRepairs.count, 1)
        pair.host.flushControl(now: pair.now, into: pair.out)
        let repairs = (0..<pair.out.count).filter { pair.out.bytes(at: $0).load(as: UInt8.self) == WireFormat.MessageType.data.rawValue }
        XCTAssertEqual(repairs.count, 1)
        XCTAssertNotEqual(pair.out.slot(at: repairs[0]), primary, "on the other link than the lost copy's")
        let repairLength = pair.out.length(at: repairs[0])
        XCTAssertEqual(router.counters.deliveredLate, 0)
        XCTAssertEqual(deliverKept(pair), 1, "the repair delivers the lost packet")
        XCTAssertEqual(router.counters.delivered, delivered + 2)
        XCTAssertEqual(host.counters.repaired, 1)
        XCTAssertEqual(router.counters.deliveredLate, 1, "it came after a higher counter")
        XCTAssertEqual(router.counters.deliveredAfterNack, 1, "the receiver counts it rescued by the repair it asked for")
        let usage = pair.host.policyUsage.first { $0.name == "calls" }?.counts
        XCTAssertEqual(usage?.repairBytes, UInt64(repairLength), "the class pays the repair's bytes")
        XCTAssertEqual(usage?.replayBytes, 0)
        let replays = host.connections.filter { Int($0.pathID >> 8) != primary }.map(\.statistics.traffic.txReplayPackets)
        XCTAssertEqual(replays.reduce(0, +), 1, "counted as a replay by purpose, on the other link")
        // A second NACK of the same counter (the receiver's second copy, or a retry) finds both links used.
        XCTAssertEqual(router.counters.nacksSent, 1)
        pair.now += 4_000_000
        _ = routerFeedback(pair)
        XCTAssertEqual(host.pendingRepairs.count, 0, "nothing NACKed again: it arrived")
    }

    func testNoRepairPastTheDeadline() {
        let pair = adaptivePair(deadline: 30_000_000)
        let primary = singleLinkFlow(pair)
        let host = pair.host.peers[0]
        send(pair, lose: primary)
        pair.now += 40_000_000  // the packet's deadline has passed when the gap shows
        send(pair)
        pair.now += 4_000_000
        _ = routerFeedback(pair)
        XCTAssertEqual(pair.router.peers[0].counters.nacksSent, 1, "the receiver still NACKs it")
        XCTAssertEqual(host.pendingRepairs.count, 0)
        XCTAssertEqual(host.counters.repairMisses, 1, "counted, not sent")
        pair.host.flushControl(now: pair.now, into: pair.out)
        XCTAssertEqual((0..<pair.out.count).filter { pair.out.bytes(at: $0).load(as: UInt8.self) == 4 }.count, 0)
        pair.host.completeTransmission(pair.out)
    }

    func testACopyThatArrivesOnTheSlowerLinkIsNotNacked() {
        let pair = EnginePair(links: 2)
        for _ in 0..<3 { pair.exchange() }
        // Redundant: both copies; the first copy is lost, the second arrives.
        for _ in 0..<5 { send(pair) ; pair.now += 4_000_000 }
        send(pair, lose: 0)
        pair.now += 4_000_000
        send(pair)
        pair.now += 10_000_000
        _ = routerFeedback(pair)
        XCTAssertEqual(pair.router.peers[0].counters.nacksSent, 0, "every counter arrived on one link or the other")
        XCTAssertEqual(pair.router.peers[0].counters.deliveredLate, 0, "the second copy came in order: nothing to rescue late")
        XCTAssertEqual(pair.router.peers[0].counters.deliveredAfterNack, 0)
    }

    func testAnIdleBundleSendsNoFeedback() {
        let pair = EnginePair(links: 2)
        for _ in 0..<3 { pair.exchange() }
        send(pair)
        for _ in 0..<40 { pair.exchange() }  // 2 s of nothing
        let sent = pair.router.peers[0].counters.feedbackSent
        XCTAssertLessThanOrEqual(sent, 1, "at most the summary right after the packet")
        for _ in 0..<40 { pair.exchange() }
        XCTAssertEqual(pair.router.peers[0].counters.feedbackSent, sent, "nothing while idle")
    }

    // MARK: The seed network: per-direction loss, retransmission, escalation, takeover

    /// A 200-byte UDP packet of one flow vm0 -> vm2 carrying `sequence` at bytes 28..35.
    /// A 200-byte UDP packet vm0 -> vm2 port 7000 carrying `sequence` (also AdaptiveCutTests').
    static func flowPacket(_ sequence: UInt64) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: 200)
        p[0] = 0x45; p[2] = 0; p[3] = 200; p[8] = 64; p[9] = 17
        p[12] = 10; p[13] = 77; p[14] = 0; p[15] = 10
        p[16] = 10; p[17] = 77; p[18] = 0; p[19] = 20
        p[20] = 0x9c; p[21] = 0x40; p[22] = 0x1b; p[23] = 0x58
        p[24] = 0; p[25] = 180
        for i in 0..<8 { p[28 + i] = UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64(i))) }
        return p
    }

    /// The sequences of the `flowPacket`s `node` received on its TUN.
    static func sequences(_ node: FakeNetwork.Node) -> Set<UInt64> {
        Set(node.tun.compactMap { packet -> UInt64? in
            guard packet.count >= 36, packet[22] == 0x1b else { return nil }
            return (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(packet[28 + $1]) }
        })
    }

    /// The seed network, vm0 adaptive (or redundant) with links at 15 and 25 ms one way.
    private func adaptiveSeed(targetLoss: Double = 0.001, adaptive: Bool = true) -> FakeNetwork {
        let net = Seed.establishedNetwork()
        net.wire(0).latency = 15 * Time.millisecond
        net.wire(1).latency = 25 * Time.millisecond
        net.wire(2).latency = 1 * Time.millisecond
        net.wire(3).latency = 1 * Time.millisecond
        net.tickInterval = 2 * Time.millisecond
        if adaptive {
            net.vm0.setPolicies(PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "calls", mode: .adaptive,
                                                                                       maximumOverhead: 0.3),
                                               targetLoss: targetLoss))
        }
        net.advance(by: 2 * Time.second)
        return net
    }

    /// Redundant, 2% loss on the faster link: every lost copy's twin comes 10 ms later on the slower link, inside
    /// the bundle's reorder allowance, so the receiver must wait for it, not NACK it. (The share of packets followed
    /// by a copy was measured per tick, where the copies of one tick's packets came in later ticks: it fell to 0,
    /// the receiver took the single-path allowance of 2 ms, and NACKed 51 twins here, 494 in the lab's lossy2.)
    func testTheSlowerLinksCopyIsAwaitedNotNacked() {
        let net = adaptiveSeed(adaptive: false)
        var rng = SplitMix64(seed: 7)
        net.wire(0).drop = { _, datagram in datagram.fromNode == Seed.vm0 && rng.next() % 50 == 0 }
        stream(net, from: 0, for: 10 * Time.second)
        net.advance(by: Time.second)
        let router = net.router.peers[Seed.routerPeerVM0]
        XCTAssertGreaterThan(net.wire(0).dropped, 20, "the faster link lost copies")
        XCTAssertGreaterThan(router.counters.deliveredLate, 20, "their twins came late on the slower link")
        XCTAssertGreaterThan(router.receiverFeedback.duplicateShare, 0.9, "the receiver sees the copies")
        XCTAssertEqual(router.counters.deliveredAfterNack, 0,
                       "no twin was NACKed before it came (\(router.counters.nacksSent) NACK messages)")
    }

    /// Streams one packet per `every` from vm0 for `duration`; returns the next sequence.
    @discardableResult
    private func stream(_ net: FakeNetwork, from first: UInt64, for duration: UInt64, every: UInt64 = 4 * Time.millisecond,
                        check: (() -> Void)? = nil) -> UInt64 {
        var sequence = first
        let end = net.now + duration
        while net.now < end {
            net.transmit(from: Seed.vm0, packet: FeedbackTests.flowPacket(sequence))
            sequence += 1
            net.advance(by: every)
            check?()
        }
        return sequence
    }

    func testUpstreamLossSeenOnlyByFeedbackChoosesRetransmissionAndMeetsTheTarget() throws {
        let net = adaptiveSeed()
        // 2% random loss on both of vm0's links, upstream only: vm0 itself receives everything, so only the
        // router's FEEDBACK can tell it.
        var rng = SplitMix64(seed: 15)
        for lan: UInt8 in 0...1 {
            net.wire(lan).drop = { _, datagram in datagram.fromNode == Seed.vm0 && rng.next() % 50 == 0 }
        }
        var next = stream(net, from: 0, for: 7 * Time.second)  // from duplicate, one level down per 2 s
        let host = net.routerPeer(of: Seed.vm0)
        XCTAssertEqual(host.adaptive.level, .retransmit, "2% > the target; a repair fits 150 ms on 15/25 ms links")
        XCTAssertEqual(host.adaptive.primaryLink, 0, "the faster link carries")
        for c in host.connections where c.lastReceived != 0 {
            XCTAssertLessThan(c.statistics.recentLoss, 0.005, "vm0 receives without loss")
            XCTAssertGreaterThan(c.feedback.forwardLoss, 0.002, "the router reports the upstream loss")
        }
        let before = host.connections.map(\.statistics.traffic)
        let routerBefore = net.router.peers[0].connections.reduce(UInt64(0)) { $0 + $1.statistics.traffic.txControlBytes }
        let counted = next
        next = stream(net, from: next, for: 20 * Time.second)
        net.advance(by: Time.second)
        let delivered = FeedbackTests.sequences(net.nodes[Seed.vm2])
        let lost = (counted..<next).filter { !delivered.contains($0) }.count
        let loss = Double(lost) / Double(next - counted)
        XCTAssertLessThanOrEqual(loss, 0.0004 + 0.001, "within duplication's ideal (0.04%) + margin: \(lost) lost")
        var data: UInt64 = 0, extra: UInt64 = 0
        for (c, earlier) in zip(host.connections, before) {
            data += c.statistics.traffic.txDataBytes - earlier.txDataBytes
            extra += (c.statistics.traffic.txDuplicateBytes - earlier.txDuplicateBytes)
                + (c.statistics.traffic.txReplayBytes - earlier.txReplayBytes)
                + (c.statistics.traffic.txParityBytes - earlier.txParityBytes)
        }
        XCTAssertGreaterThan(host.counters.repaired, 100, "repairs did the work")
        XCTAssertLessThanOrEqual(Double(extra) / Double(data), 0.10, "<= 10% extra bytes (duplication: 100%)")
        let feedbackBytes = net.router.peers[0].connections.reduce(UInt64(0)) { $0 + $1.statistics.traffic.txControlBytes }
            - routerBefore
        XCTAssertLessThanOrEqual(Double(extra + feedbackBytes) / Double(data), 0.10, "feedback included")
        print("adaptive, 2% upstream loss on 15/25 ms links, 250 packets/s for 20 s: \(lost) of \(next - counted) lost "
              + "(\(loss * 100)%), extra data bytes \(Double(extra) / Double(data) * 100)%, the router's control bytes "
              + "\(Double(feedbackBytes) / Double(data) * 100)% of the data, \(host.counters.repaired) repaired, "
              + "\(host.counters.repairMisses) misses, \(net.router.peers[0].counters.feedbackSent) FEEDBACK messages")
        // What feedback cost the router (its control bytes to vm0 beyond probes), against the data.
        let routerPeer = net.router.peers[0]
        XCTAssertGreaterThan(routerPeer.counters.feedbackSent, 0)
        XCTAssertLessThan(Double(routerPeer.counters.feedbackSent) / 21, 60, "a bounded rate: \(routerPeer.counters.feedbackSent) in 21 s")
    }

    func testASilentPrimaryEscalatesAtOnceWithAReplayAndStepsDownPerHold() throws {
        let net = adaptiveSeed(targetLoss: 0.001)
        var rng = SplitMix64(seed: 16)
        for lan: UInt8 in 0...1 {
            net.wire(lan).drop = { _, datagram in datagram.fromNode == Seed.vm0 && rng.next() % 50 == 0 }
        }
        var next = stream(net, from: 0, for: 7 * Time.second)
        let host = net.routerPeer(of: Seed.vm0)
        XCTAssertEqual(host.adaptive.level, .retransmit)
        let cutAt = next
        net.wire(0).isCut = true
        var escalated: UInt64?
        let cut = net.now
        next = stream(net, from: next, for: 2 * Time.second) {
            if escalated == nil && host.adaptive.level == .duplicate || host.adaptive.primaryLink == 1 && escalated == nil {
                escalated = net.now - cut
            }
        }
        let reaction = try XCTUnwrap(escalated)
        XCTAssertLessThan(reaction, 500 * Time.millisecond, "at once on silence")
        XCTAssertGreaterThan(host.counters.replayed, 0, "the recent packets replayed on the other link")
        let usage = try XCTUnwrap(net.vm0.policyUsage.first { $0.name == "calls" }?.counts)
        XCTAssertGreaterThanOrEqual(usage.replayBytes, host.counters.replayed * 200, "the class pays its replays' bytes")
        XCTAssertGreaterThan(usage.repairBytes, 0, "and the repairs of its 2% losses before the cut")
        net.advance(by: Time.second)
        let delivered = FeedbackTests.sequences(net.nodes[Seed.vm2])
        // The first 300 ms after the cut are the replay's to cover (later, net1's own 2% loss is the ideal).
        let lostAroundCut = (cutAt..<(cutAt + 75)).filter { !delivered.contains($0) }.count
        XCTAssertLessThanOrEqual(lostAroundCut, 3, "the replay covers the cut: \(lostAroundCut) of 75 lost")
        let lostDuringCut = (cutAt..<next).filter { !delivered.contains($0) }.count
        XCTAssertLessThanOrEqual(Double(lostDuringCut) / Double(next - cutAt), 0.05, "about net1's own loss")
        // Repair: the primary comes back; the plan steps down one level per hold, never straight to single.
        net.wire(0).isCut = false
        for lan: UInt8 in 0...1 { net.wire(lan).drop = nil }
        var levels: [AdaptivePlan.Level] = [host.adaptive.level]
        var primaries: [Int] = [host.adaptive.primaryLink]
        stream(net, from: next, for: 20 * Time.second) {
            if levels.last != host.adaptive.level || primaries.last != host.adaptive.primaryLink {
                levels.append(host.adaptive.level)
                primaries.append(host.adaptive.primaryLink)
            }
        }
        XCTAssertEqual(levels.last, .single, "\(levels)")
        XCTAssertEqual(primaries.last, 0, "back on the faster link")
        // On the same primary, protection comes down one level per hold; parity is skipped on the way down when
        // the repairs fit the deadline (it would protect less than they do: 15/25 ms links).
        for i in 1..<levels.count where levels[i] < levels[i - 1] && primaries[i] == primaries[i - 1] {
            let skipsParity = levels[i - 1] == .duplicate && levels[i] == .retransmit
            XCTAssertTrue(levels[i - 1].rawValue - levels[i].rawValue == 1 || skipsParity, "one level per step down: \(levels)")
        }
    }

    func testANackBurstOnTheActiveLinkTakesOverInFailover() throws {
        let net = Seed.establishedNetwork()
        for lan: UInt8 in 0...3 { net.wire(lan).latency = 10 * Time.millisecond }
        net.tickInterval = 2 * Time.millisecond
        net.vm0.configuration.mode = .failover
        net.vm0.setLinkPolicy(LinkPolicy(role: .primary), slot: 0)
        net.vm0.setLinkPolicy(LinkPolicy(role: .secondary), slot: 1)
        net.advance(by: 2 * Time.second)
        var next = stream(net, from: 0, for: Time.second)
        let host = net.routerPeer(of: Seed.vm0)
        XCTAssertEqual(host.failover.active, 0)
        // The primary loses two of every three datagrams upstream; nothing is silent for long (a gap of 12 ms at
        // 4 ms spacing), and vm0 keeps hearing the router on it (the probe replies).
        var upstream = 0
        net.wire(0).drop = { _, datagram in
            guard datagram.fromNode == Seed.vm0 else { return false }
            upstream += 1
            return upstream % 3 != 0
        }
        let start = net.now
        var tookOver: UInt64?
        var alarmsAtTakeover: UInt64 = 0, burstsAtTakeover: UInt64 = 0
        let alarmsBefore = host.counters.silenceAlarmsReceived
        next = stream(net, from: next, for: Time.second) {
            if tookOver == nil && host.failover.active == 1 {
                tookOver = net.now - start
                alarmsAtTakeover = host.counters.silenceAlarmsReceived - alarmsBefore
                burstsAtTakeover = host.counters.nackBursts
            }
        }
        let takeover = try XCTUnwrap(tookOver, "a NACK burst moves the data")
        XCTAssertLessThan(takeover, 200 * Time.millisecond)
        XCTAssertEqual(burstsAtTakeover, 1)
        XCTAssertEqual(alarmsAtTakeover, 0, "not a silence: the NACKs did it")
        XCTAssertGreaterThan(host.counters.replayed, 0, "the unacknowledged tail replayed on the new link")
        _ = next
    }
}
