import MLinkControl
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Traffic by purpose (issue 14): every byte a connection sends or receives is data, duplicate, probe or control.
final class TrafficAccountingTests: XCTestCase {
    private func sum(_ connections: [Connection], _ keyPath: KeyPath<ConnectionCounts, UInt64>) -> UInt64 {
        connections.map { $0.statistics.traffic[keyPath: keyPath] }.reduce(0, +)
    }

    func testFirstCopiesAreDataAndFurtherCopiesDuplicates() {
        let net = Seed.establishedNetwork()
        let before = net.routerPeer(of: Seed.vm0).connections.map(\.statistics.traffic)
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<100)
        net.advance(by: 50 * Time.millisecond)
        let sender = net.routerPeer(of: Seed.vm0).connections
        XCTAssertEqual(sum(sender, \.txDataPackets) - before.map(\.txDataPackets).reduce(0, +), 100)
        XCTAssertEqual(sum(sender, \.txDuplicatePackets) - before.map(\.txDuplicatePackets).reduce(0, +), 100,
                       "two links: one further copy per packet")
        let received = net.router.peers[Seed.routerPeerVM0].connections
        XCTAssertEqual(sum(received, \.rxDataPackets), 100, "the router delivered each packet once")
        XCTAssertEqual(sum(received, \.rxDuplicatePackets), 100)
        let dataBytes = sum(received, \.rxDataBytes)
        XCTAssertEqual(dataBytes, 100 * UInt64(Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.vm2Address,
                                                                  sequence: 0).count + WireFormat.transportOverhead))
    }

    func testPurposesAddUpToTheTotalsAndProbesAreProbes() {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm2, source: Seed.vm2Address, destination: Seed.vm0Address, sequences: 0..<20)
        net.advance(by: 2 * Time.second)
        for node in [Seed.vm0, Seed.vm2] {
            for c in net.routerPeer(of: node).connections {
                let t = c.statistics.traffic
                XCTAssertEqual(t.txDataBytes + t.txDuplicateBytes + t.txProbeBytes + t.txControlBytes + t.txReplayBytes, c.statistics.txBytes)
                XCTAssertEqual(t.txDataPackets + t.txDuplicatePackets + t.txProbePackets + t.txControlPackets,
                               c.statistics.txPackets)
                XCTAssertEqual(t.txProbePackets, c.statistics.probesSent, "a host sends requests only")
                XCTAssertEqual(t.rxProbePackets, c.statistics.probeRepliesReceived)
                XCTAssertGreaterThan(t.txControlPackets, 0, "the initiations")
            }
        }
        for c in net.router.peers[Seed.routerPeerVM0].connections {
            let t = c.statistics.traffic
            XCTAssertEqual(t.txProbePackets, t.rxProbePackets, "the router answers every request it got")
            XCTAssertGreaterThan(t.txDataPackets + t.txDuplicatePackets, 0)
        }
    }
}
