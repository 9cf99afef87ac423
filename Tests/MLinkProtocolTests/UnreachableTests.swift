import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Pairings that never answer back off to one probe per 5 s and show as unreachable, and come back at once.
final class UnreachableTests: XCTestCase {
    /// Datagrams vm0 sent on the connection with path id `pathID` (probes and initiations), from time `since`.
    private func sent(_ net: FakeNetwork, pathID: UInt16, since: Int) -> Int {
        net.sent[since...].filter { $0.fromNode == Seed.vm0 && $0.bytes.count >= 4 && $0.bytes.le16(2) == pathID }.count
    }

    /// The seed's crossed pairings (link 0 towards the router's net1 address and link 1 towards its net0 one)
    /// can never work: unreachable after 10 s, then at most one datagram per 5 s each.
    func testImpossiblePairingsBecomeUnreachableAndCostOneProbePerFiveSeconds() {
        let net = Seed.establishedNetwork()
        let crossed: [UInt16] = [0x0001, 0x0100]
        for pathID in crossed { XCTAssertEqual(net.connection(of: Seed.vm0, pathID: pathID)?.state, .probing) }
        net.advance(by: 10 * Time.second)
        for pathID in crossed { XCTAssertEqual(net.connection(of: Seed.vm0, pathID: pathID)?.state, .unreachable) }
        for pathID: UInt16 in [0x0000, 0x0101] { XCTAssertEqual(net.connection(of: Seed.vm0, pathID: pathID)?.state, .up) }
        let mark = net.sent.count
        net.advance(by: 30 * Time.second)
        for pathID in crossed {
            let count = sent(net, pathID: pathID, since: mark)
            // At most one per 5 s; roles' idle probing (LinkPolicy+Probing.swift) slows a never-answered path on
            // a link with another path up further, to once a minute.
            XCTAssertLessThanOrEqual(count, 7, "at most one probe per 5 s (and one initiation at each rekey)")
        }
        XCTAssertGreaterThan(sent(net, pathID: 0x0000, since: mark), 30, "the working path is probed as before")
    }

    /// A path that could not answer (its wire cut from the start) is unreachable while the other link works,
    /// and up within one slow probe interval once its wire works.
    func testAnUnreachablePathIsUpAtItsFirstAnswer() {
        let net = Seed.network()
        net.wire(1).isCut = true
        net.advance(by: 11 * Time.second)
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .unreachable)
        net.wire(1).isCut = false
        net.advance(by: 5100 * Time.millisecond)
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0101)?.state, .up, "its first answer makes it up")
        XCTAssertEqual(net.connection(of: Seed.vm0, pathID: 0x0100)?.state, .unreachable, "the crossed one stays")
    }

    /// While no path of the peer has answered (the router is not there yet) nothing is written off: the host
    /// keeps looking at the full rate.
    func testNothingIsUnreachableWhileNoPathAnswered() {
        let net = Seed.network()
        net.wire(0).isCut = true
        net.wire(1).isCut = true
        net.advance(by: 15 * Time.second)
        for connection in net.routerPeer(of: Seed.vm0).connections { XCTAssertEqual(connection.state, .probing) }
    }
}
