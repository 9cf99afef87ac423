import MLinkFlows
@testable import MLinkProtocol
import MLinkTestSupport
import MLinkTypes
import XCTest

/// Aggregate mode on a real host/router pair (PROTOCOL.md section 16): a flow faster than one link is striped
/// over both, each striped packet names its predecessor in byte 1, and the router delivers them in order however
/// the links reorder them.
final class StripingEngineTests: XCTestCase {
    private let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    deinit { packet.deallocate() }

    /// A 1400-byte UDP packet of one flow (port 9000) whose payload starts with `sequence`.
    private func writeFlowPacket(sequence: UInt32) {
        let length = 1400
        EnginePair.writeIPv4(into: packet + 28, length: length)
        let bytes = (packet + 28).assumingMemoryBound(to: UInt8.self)
        bytes[6] = 0; bytes[7] = 0
        bytes[20] = 0x9c; bytes[21] = 0x40; bytes[22] = 0x23; bytes[23] = 0x28
        (packet + 28 + 32).storeBytes(of: sequence, as: UInt32.self)
    }

    /// Sends `count` packets of the flow at `interval`; returns the datagrams (bytes and link) in sending order.
    private func sendFlow(_ pair: EnginePair, count: Int, from first: UInt32 = 0,
                          interval: UInt64) -> [(bytes: [UInt8], link: Int)] {
        var sent: [(bytes: [UInt8], link: Int)] = []
        for i in 0..<count {
            writeFlowPacket(sequence: first + UInt32(i))
            pair.host.encapsulate(packet + 28, length: 1400, to: 0, inPlace: true, into: pair.out, now: pair.now)
            for d in 0..<pair.out.count {
                sent.append(([UInt8](UnsafeRawBufferPointer(start: pair.out.bytes(at: d), count: pair.out.length(at: d))),
                             pair.out.slot(at: d)))
            }
            pair.host.completeTransmission(pair.out)
            pair.now += interval
        }
        return sent
    }

    /// Hands `datagrams` to the router in the given order; returns the flow sequences it delivered, in order.
    private func deliver(_ pair: EnginePair, _ datagrams: [(bytes: [UInt8], link: Int)]) -> [UInt32] {
        var sequences: [UInt32] = []
        func take(_ verdict: TunnelEngine.Verdict, base: UnsafeMutableRawPointer) {
            if case .deliver(let offset, _) = verdict {
                sequences.append((base + offset + 32).loadUnaligned(as: UInt32.self))
            }
        }
        for d in datagrams {
            d.bytes.withUnsafeBytes { pair.receiveBuffer.copyMemory(from: $0.baseAddress!, byteCount: d.bytes.count) }
            take(pair.router.receive(pair.receiveBuffer, length: d.bytes.count, slot: d.link,
                                     source: EnginePair.hostAddress(link: d.link), now: pair.now), base: pair.receiveBuffer)
            while let (buffer, verdict) = pair.router.nextReordered(now: pair.now) { take(verdict, base: buffer) }
        }
        return sequences
    }

    private func aggregatePair() -> EnginePair {
        let pair = EnginePair(links: 2)
        pair.host.setPolicies(PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "bulk", mode: .aggregate)))
        return pair
    }

    func testAFlowFasterThanOneLinkIsStripedAndDeliveredInOrder() {
        let pair = aggregatePair()
        // 1400 bytes every 0.4 ms: 3.5 MB/s, above the 1.25 MB/s a link is credited with at first.
        let warmup = sendFlow(pair, count: 50, interval: 400_000)
        XCTAssertEqual(deliver(pair, warmup).count, 50)
        let sent = sendFlow(pair, count: 400, from: 50, interval: 400_000)
        let links = Set(sent.map(\.link))
        XCTAssertEqual(links, [0, 1], "striped over both links")
        XCTAssertEqual(sent.count, 400, "one copy each")
        let striped = sent.filter { $0.bytes[1] != 0 }
        XCTAssertGreaterThan(striped.count, 350, "the flow's packets carry a stripe distance")
        for (a, b) in zip(striped, striped.dropFirst()) where b.bytes[1] != 255 {
            let counterA = a.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
            let counterB = b.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
            XCTAssertEqual(counterB - counterA, UInt64(b.bytes[1]), "the distance names the previous striped counter")
        }
        // Link 1 is 6.5 packet times slower: each of its packets arrives after the next six sent.
        let reordered = sent.enumerated().map { (at: Double($0.offset) + ($0.element.link == 1 ? 6.5 : 0), datagram: $0.element) }
            .sorted { $0.at < $1.at }.map(\.datagram)
        XCTAssertNotEqual(reordered.map { $0.bytes[8] }, sent.map { $0.bytes[8] }, "the links reorder")
        let delivered = deliver(pair, reordered)
        XCTAssertEqual(delivered, (50..<450).map { UInt32($0) }, "every packet once, in the flow's order")
        XCTAssertGreaterThan(pair.router.aggregateCounts(peer: 0).reordered, 0, "some waited for their predecessor")
        XCTAssertEqual(pair.router.aggregateCounts(peer: 0).timeouts, 0, "none given up: link 1 lagged, lost nothing")
    }

    func testALostStripedPacketIsGivenUpWhenBothLinksArePastIt() {
        let pair = aggregatePair()
        XCTAssertEqual(deliver(pair, sendFlow(pair, count: 50, interval: 400_000)).count, 50)
        var sent = sendFlow(pair, count: 100, from: 50, interval: 400_000)
        let lostIndex = sent.firstIndex { $0.bytes[1] != 0 && $0.bytes[1] != 255 && $0.link == 0 }!
        sent.remove(at: lostIndex)
        // Link 1 six packet times behind: the gap is a loss only once link 1 too delivered a later counter.
        let reordered = sent.enumerated().map { (at: Double($0.offset) + ($0.element.link == 1 ? 6.5 : 0), datagram: $0.element) }
            .sorted { $0.at < $1.at }.map(\.datagram)
        let delivered = deliver(pair, reordered)
        XCTAssertEqual(delivered, (50..<150).map { UInt32($0) }.filter { $0 != 50 + UInt32(lostIndex) },
                       "all but the lost one, in order, with no wait: the clock never moved past 50 ms")
        let counts = pair.router.aggregateCounts(peer: 0)
        XCTAssertEqual(counts.timeouts, 1)
        XCTAssertEqual(counts.lost, 1, "given up as a loss: both links had delivered past it")
        XCTAssertEqual(counts.late, 0)
        XCTAssertGreaterThan(counts.reordered, 0)
    }

    func testASlowFlowIsPinnedAndNotStriped() {
        let pair = aggregatePair()
        let sent = sendFlow(pair, count: 200, interval: 10_000_000)  // 140 kB/s
        XCTAssertEqual(Set(sent.map(\.link)).count, 1, "one link")
        XCTAssertTrue(sent.allSatisfy { $0.bytes[1] == 0 }, "not striped")
        XCTAssertEqual(deliver(pair, sent).count, 200)
    }
}
