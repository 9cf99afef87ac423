import MLinkFlows
import MLinkProtocol
import MLinkTestSupport
import MLinkTypes
import XCTest

/// Per-flow policies on a real host/router pair with two links: rules pick the mode per flow, aggregate pins
/// flows to links, adaptive chooses its protection from the links' loss.
final class PolicyTests: XCTestCase {
    private let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    deinit { packet.deallocate() }

    /// A UDP packet from the host on `port` (DSCP `dscp`); returns the links its copies went on.
    private func send(_ pair: EnginePair, port: UInt16, dscp: UInt8 = 0, length: Int = 200) -> [Int] {
        EnginePair.writeIPv4(into: packet + 28, length: length)
        let bytes = (packet + 28).assumingMemoryBound(to: UInt8.self)
        bytes[1] = dscp << 2
        bytes[6] = 0; bytes[7] = 0  // not a fragment (the pattern writeIPv4 fills in says "later fragment")
        bytes[20] = 0x9c; bytes[21] = 0x40
        bytes[22] = UInt8(port >> 8); bytes[23] = UInt8(port & 0xff)
        pair.host.encapsulate(packet + 28, length: length, to: 0, inPlace: true, into: pair.out, now: pair.now)
        let links = (0..<pair.out.count).map { pair.out.slot(at: $0) }
        pair.deliverFromHost()
        return links
    }

    func testRulesChooseTheModePerFlow() {
        let pair = EnginePair(links: 2)
        var voice = FlowMatch()
        voice.dscp = [46]
        pair.host.setPolicies(PolicySettings(policies: [FlowPolicy(name: "voice", match: voice, mode: .redundant, copies: 2)],
                                             defaultPolicy: FlowPolicy(name: "default", mode: .failover)))
        for _ in 0..<5 { pair.exchange() }  // failover picks its active link in the tick
        XCTAssertEqual(send(pair, port: 5004, dscp: 46).count, 2, "voice: a copy on each link")
        let bulk = send(pair, port: 443)
        XCTAssertEqual(bulk.count, 1, "default: failover, one link")
        XCTAssertEqual(send(pair, port: 443), bulk, "and the same one")
        let usage = Dictionary(uniqueKeysWithValues: pair.host.policyUsage.map { ($0.name, $0.counts) })
        XCTAssertEqual(usage["voice"]?.packets, 1)
        XCTAssertEqual(usage["default"]?.packets, 2)
        XCTAssertGreaterThan(usage["voice"]?.duplicateBytes ?? 0, 0)
        XCTAssertEqual(usage["default"]?.duplicateBytes, 0)
        let flows = pair.host.activeFlows(now: pair.now)
        XCTAssertEqual(flows.count, 2)
        XCTAssertEqual(Set(flows.map(\.policy)), ["voice", "default"])
    }

    func testAggregatePinsEachFlowToOneLinkAndSpreadsFlows() {
        let pair = EnginePair(links: 2)
        pair.host.setPolicies(PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "bulk", mode: .aggregate)))
        var linksUsed = Set<Int>()
        for port in UInt16(6000)..<6016 {
            let first = send(pair, port: port)
            XCTAssertEqual(first.count, 1, "port \(port): one copy")
            for _ in 0..<3 { XCTAssertEqual(send(pair, port: port), first, "port \(port) stays on its link") }
            linksUsed.insert(first[0])
        }
        XCTAssertEqual(linksUsed, [0, 1], "16 flows over both links")
    }

    /// Router -> host data over both links, with `lossEvery[link]`: every n-th copy on that link is lost (0: none).
    private func routerTraffic(_ pair: EnginePair, packets: Int, lossEvery: [Int]) {
        var sent = [0, 0]
        for _ in 0..<packets {
            EnginePair.writeIPv4(into: packet + 28, length: 200, source: EnginePair.routerVirtual, destination: EnginePair.hostVirtual)
            pair.router.encapsulate(packet + 28, length: 200, to: 0, inPlace: true, into: pair.out, now: pair.now)
            for i in 0..<pair.out.count {
                let link = pair.out.slot(at: i)
                sent[link] += 1
                if lossEvery[link] > 0 && sent[link] % lossEvery[link] == 0 { pair.out.markFailed(i) }
            }
            // Deliver only what was not "lost".
            for i in 0..<pair.out.count where !pair.out.isFailed(i) {
                let length = pair.out.length(at: i)
                pair.receiveBuffer.copyMemory(from: pair.out.bytes(at: i), byteCount: length)
                _ = pair.host.receive(pair.receiveBuffer, length: length, slot: pair.out.slot(at: i),
                                      source: EnginePair.routerAddress(link: pair.out.slot(at: i)), now: pair.now)
            }
            pair.router.completeTransmission(pair.out)
            pair.now += 1_000_000
        }
    }

    private func adaptivePair(targetLoss: Double, maximumOverhead: Double = 0.5,
                              deadline: UInt64 = 150_000_000) -> EnginePair {
        let pair = EnginePair(links: 2)
        pair.host.setPolicies(PolicySettings(policies: [],
                                             defaultPolicy: FlowPolicy(name: "calls", mode: .adaptive, maximumOverhead: maximumOverhead),
                                             deadline: deadline, targetLoss: targetLoss))
        return pair
    }

    func testAdaptiveOnCleanLinksSendsOneCopyOnceTheFlowIsKnown() {
        let pair = adaptivePair(targetLoss: 0.001)
        pair.exchange()
        XCTAssertEqual(pair.host.peers[0].adaptive.level, .single)
        XCTAssertEqual(send(pair, port: 7000).count, 2, "a new flow is protected until it is classified")
        for _ in 0..<12 { _ = send(pair, port: 7000); pair.now += 20_000_000 }
        XCTAssertEqual(send(pair, port: 7000).count, 1, "classified, clean links: one copy")
    }

    func testAdaptiveRetransmitsWhenARepairFitsTheDeadline() {
        let pair = adaptivePair(targetLoss: 0.03)
        routerTraffic(pair, packets: 400, lossEvery: [10, 20])  // link 0 loses 10%, link 1 5%
        pair.exchange()
        let plan = pair.host.peers[0].adaptive
        XCTAssertEqual(plan.level, .retransmit, "the cheapest: residual 10% x (5% + 10% x 5%) meets 3%, in time")
        XCTAssertEqual(plan.primaryLink, 1, "the less lossy link carries the data")
        XCTAssertEqual(plan.parityLink, -1)
    }

    func testAdaptiveChoosesParityOnTheOtherLinkWhenItMeetsTheTarget() {
        // 10 ms: too short for a NACK and a repair (12 ms here), long enough for parity.
        let pair = adaptivePair(targetLoss: 0.03, deadline: 10_000_000)
        routerTraffic(pair, packets: 400, lossEvery: [10, 20])  // link 0 loses 10%, link 1 5%
        pair.exchange()
        let plan = pair.host.peers[0].adaptive
        XCTAssertEqual(plan.level, .parity, "loss above the target, parity is enough")
        XCTAssertEqual(plan.primaryLink, 1, "the less lossy link carries the data")
        XCTAssertEqual(plan.parityLink, 0, "the parity goes on the other link")
        XCTAssertGreaterThanOrEqual(plan.parityK, 2)
        // The data of a known flow goes on link 1 only, its parity on link 0.
        for _ in 0..<12 { _ = send(pair, port: 7100); pair.now += 20_000_000 }
        var parityLinks = Set<Int>(), dataLinks = Set<Int>()
        for _ in 0..<(plan.parityK * 2) {
            dataLinks.formUnion(send(pair, port: 7100))
            pair.host.flushControl(now: pair.now, into: pair.out)
            parityLinks.formUnion((0..<pair.out.count).map { pair.out.slot(at: $0) })
            pair.deliverFromHost()
        }
        XCTAssertEqual(dataLinks, [1])
        XCTAssertEqual(parityLinks, [0])
        XCTAssertGreaterThan(pair.host.peers[0].counters.paritySent, 0)
    }

    func testAdaptiveDuplicatesWhenParityCannotMeetTheTargetAndStepsDownSlowly() {
        let pair = adaptivePair(targetLoss: 0.0001)
        routerTraffic(pair, packets: 400, lossEvery: [10, 20])
        pair.exchange()
        XCTAssertEqual(pair.host.peers[0].adaptive.level, .duplicate)
        // The links heal: loss decays; the plan steps down one level per hold, never straight to single.
        var levels: [AdaptivePlan.Level] = [pair.host.peers[0].adaptive.level]
        routerTraffic(pair, packets: 2000, lossEvery: [0, 0])
        for _ in 0..<120 {
            pair.exchange()
            if levels.last != pair.host.peers[0].adaptive.level { levels.append(pair.host.peers[0].adaptive.level) }
        }
        XCTAssertEqual(levels.first, .duplicate)
        XCTAssertEqual(levels.last, .single)
        XCTAssertTrue(levels.contains(.parity), "duplicate -> parity -> single: \(levels)")
    }
}
