import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// A copy reordered on its own path after another link delivered its counter (the second link of a duplicating
/// plan, the lab's lte and lossy2 links with jitter that reorders 20 ms apart): it was sent, it arrived, so it is
/// neither a loss of the path nor proof for a recorded replay. Before, such a copy was "not fresh" (its counter
/// behind the path's highest, its path sequence behind too), so its sequence stayed a gap: the receiver counted
/// it lost and reported the non-primary link of the lte scenario at 5-10% loss where the wire lost 2-3%.
final class PathReorderTests: XCTestCase {
    /// The router's connection of vm0's link `link`.
    private func routerConnection(_ net: FakeNetwork, link: Int) -> Connection {
        net.router.peers[Seed.routerPeerVM0].connections.first { Int($0.group(isRouter: true) & 0xff) == link }!
    }

    func testACopyReorderedBehindALaterOneOnItsPathIsNotLost() {
        let net = Seed.establishedNetwork()
        net.wire(0).latency = 1 * Time.millisecond
        net.wire(2).latency = 1 * Time.millisecond
        // On net1, vm0's data copies alternate 40 ms and 5 ms: each even one arrives after the next odd one, and
        // after its own counter was delivered on net0.
        var ordinal = 0
        net.wire(1).latencyOf = { datagram in
            guard datagram.fromNode == Seed.vm0, datagram.bytes[0] == WireFormat.MessageType.data.rawValue else {
                return 1 * Time.millisecond
            }
            ordinal += 1
            return ordinal % 2 == 1 ? 40 * Time.millisecond : 5 * Time.millisecond
        }
        let before = routerConnection(net, link: 1).statistics
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<40,
                   interval: 10 * Time.millisecond)
        net.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<40))
        let after = routerConnection(net, link: 1).statistics
        XCTAssertEqual(after.duplicates - before.duplicates, 40, "every net1 copy came after net0's")
        XCTAssertEqual(after.reordered - before.reordered, 20, "each even copy arrived behind the next one")
        XCTAssertEqual(after.lostEstimate, before.lostEstimate, "nothing was lost on net1")
        XCTAssertGreaterThanOrEqual(after.rxPackets - before.rxPackets, 40, "every copy counted as received on net1")
        XCTAssertLessThan(after.recentLoss, 0.01, "net1's recent loss")

        // A recorded copy sent again counts once only: the path's received count and loss do not move.
        let recorded = net.wire(1).carried.last { $0.fromNode == Seed.vm0 && $0.bytes[0] == WireFormat.MessageType.data.rawValue }!
        let settled = routerConnection(net, link: 1).statistics
        net.inject(recorded.bytes, to: Seed.router, slot: 1, from: recorded.source)
        net.advance(by: 1 * Time.millisecond)
        let replayed = routerConnection(net, link: 1).statistics
        XCTAssertEqual(replayed.rxPackets, settled.rxPackets, "a replayed copy proves nothing")
        XCTAssertEqual(replayed.reordered, settled.reordered)
    }
}
