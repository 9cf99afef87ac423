import MLinkControl
import MLinkFlows
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// FEEDBACK's rate as PROTOCOL.md 14.3 bounds it, on test 91's conditions with the fake clock: 15 and 25 ms one
/// way, 2% random loss each way on both links, both ends adaptive, 100 echoes/s of 84 bytes. With the single-path
/// reorder allowance (RTTVAR / 2 + 2 ms while the peer sends one copy) every probe and control message of the
/// slower link arrived after it and was NACKed: test 91's control bytes rose from 7.4% to 11-16% of the data.
final class FeedbackRateTests: XCTestCase {
    func testFeedbackStaysWithinItsRateRule() {
        let net = Seed.establishedNetwork()
        var rng = SplitMix64(seed: 91)
        var droppedFrom = [Int: Int]()  // datagrams lost by sending node
        for (lan, delay) in [(UInt8(0), UInt64(15)), (1, 25)] {
            net.wire(lan).latency = delay * Time.millisecond
            net.wire(lan).drop = { _, datagram in
                guard rng.next() % 1000 < 20 else { return false }
                droppedFrom[datagram.fromNode, default: 0] += 1
                return true
            }
        }
        net.tickInterval = 5 * Time.millisecond
        let settings = PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "default", mode: .adaptive),
                                      deadline: 150 * Time.millisecond, targetLoss: 0.001)
        net.vm0.setPolicies(settings)
        net.router.setPolicies(settings)
        func echoes(_ count: Int, from start: UInt64) {
            for i in 0..<UInt64(count) {
                net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.routerAddress,
                                                                       sequence: start + i, padding: 56))
                net.advance(by: 5 * Time.millisecond)
                net.transmit(from: Seed.router, packet: Fixture.ipv4Packet(source: Seed.routerAddress, destination: Seed.vm0Address,
                                                                          sequence: start + i, padding: 56),
                             peer: Seed.routerPeerVM0)
                net.advance(by: 5 * Time.millisecond)
            }
        }
        echoes(700, from: 0)  // the plans step down from duplication
        let ends = [net.routerPeer(of: Seed.vm0), net.router.peers[Seed.routerPeerVM0]]
        let before = ends.map(\.counters)
        let droppedBefore = droppedFrom
        let bytesBefore = ends.map { $0.connections.map(\.statistics.traffic) }
        let start = net.now
        echoes(2000, from: 1000)
        let seconds = Double(net.now - start) / 1e9
        for (e, end) in ends.enumerated() {
            let c = end.counters, b = before[e]
            let feedback = Double(c.feedbackSent - b.feedbackSent), nacks = Double(c.nacksSent - b.nacksSent)
            var data: UInt64 = 0, control: UInt64 = 0
            for (now, then) in zip(end.connections.map(\.statistics.traffic), bytesBefore[e]) {
                data += now.txDataBytes - then.txDataBytes
                control += now.txControlBytes - then.txControlBytes
            }
            print("end \(e): \(seconds) s, FEEDBACK \(feedback) (\(nacks) with NACKs), control messages \(c.controlSent - b.controlSent), "
                  + "silence alarms \(c.silenceAlarmsSent - b.silenceAlarmsSent), control bytes \(100 * Double(control) / Double(data))% of data")
            // Summaries: one per S = max(250 ms, 4 SRTT) at most; NACK-bearing ones: at most one per lost message
            // of the other end (data, probes and control are NACKed alike; at random loss each is its own run).
            let other = e == 0 ? Seed.router : Seed.vm0
            let lost = droppedFrom[other, default: 0] - droppedBefore[other, default: 0]
            XCTAssertLessThanOrEqual(feedback - nacks, seconds * 4 + 1, "summaries: at most one per 250 ms")
            // (Before the far-run rule, NACKed probes and control messages of the slower link made 122 and 137
            // NACK-bearing messages for 53 and 58 messages lost; after it 36-56 for 53-59, once 68 for 59: a fifth
            // more in one connection order, not explained yet.)
            XCTAssertLessThanOrEqual(nacks, 1.25 * Double(lost), "NACK-bearing messages: about one per message lost")
            XCTAssertGreaterThan(nacks, Double(lost) / 4, "losses are NACKed")
            XCTAssertLessThanOrEqual(Double(control), 0.10 * Double(data), "control bytes (test 91 reported 7.4-16%)")
        }
    }
}
