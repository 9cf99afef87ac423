import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Longest-prefix routing of inner packets to peers, through `TunnelEngine.peer(forOutbound:length:)`.
final class RoutingTests: XCTestCase {
    private func router(_ peers: [(String, [String])]) -> TunnelEngine {
        let configurations = peers.enumerated().map { index, peer in
            PeerConfiguration(name: peer.0, publicKey: Fixture.key(UInt64(100 + index)),
                              allowedIPs: peer.1.map(Fixture.network))
        }
        let configuration = EngineConfiguration(isRouter: true, privateKey: Fixture.key(1),
                                                virtualAddress: Fixture.address("10.77.0.1"), peers: configurations)
        return TunnelEngine(configuration: configuration, wallClock: Fixture.wallClock, random: Fixture.indexSource(base: 1))
    }

    private func route(_ engine: TunnelEngine, _ destination: String) -> Int? {
        let packet = destination.contains(":")
            ? Fixture.ipv6Packet(source: "fd00::1", destination: destination)
            : Fixture.ipv4Packet(source: "10.77.0.10", destination: destination, sequence: 0)
        return packet.withUnsafeBytes { engine.peer(forOutbound: $0.baseAddress!, length: $0.count) }
    }

    func testLongestPrefixWins() {
        let engine = router([
            ("wide", ["10.0.0.0/8", "::/0"]),
            ("site", ["10.1.0.0/16"]),
            ("host", ["10.1.2.3/32", "fd00:1::/64"]),
            ("v6", ["fd00::/16"]),
        ])
        XCTAssertEqual(route(engine, "10.1.2.3"), 2)
        XCTAssertEqual(route(engine, "10.1.2.4"), 1)
        XCTAssertEqual(route(engine, "10.1.255.255"), 1)
        XCTAssertEqual(route(engine, "10.2.0.0"), 0)
        XCTAssertEqual(route(engine, "10.255.255.255"), 0)
        XCTAssertEqual(route(engine, "fd00:1::9"), 2)
        XCTAssertEqual(route(engine, "fd00:2::9"), 3)
        XCTAssertEqual(route(engine, "2001:db8::1"), 0, "::/0 catches the rest of IPv6")
        XCTAssertEqual(engine.globalDrops.noRoute, 0)
    }

    func testNoRouteIsCounted() {
        let engine = router([("vm0", ["10.77.0.10/32"]), ("vm2", ["10.77.0.20/32", "192.168.50.0/24"])])
        XCTAssertEqual(route(engine, "192.168.50.77"), 1)
        XCTAssertNil(route(engine, "11.0.0.1"))
        XCTAssertNil(route(engine, "10.77.0.11"))
        XCTAssertNil(route(engine, "fd00::1"), "an IPv4 prefix never matches IPv6")
        XCTAssertEqual(engine.globalDrops.noRoute, 3)
        let garbage: [UInt8] = [0x10, 0, 0, 0]
        XCTAssertNil(garbage.withUnsafeBytes { engine.peer(forOutbound: $0.baseAddress!, length: $0.count) })
        XCTAssertEqual(engine.globalDrops.noRoute, 4, "a non-IP packet has no route either")
    }

    func testAllowedIPsWithHostBitsSetAreMasked() {
        let engine = router([("a", ["10.9.8.7/16"]), ("b", ["10.9.8.7/24"])])
        XCTAssertEqual(route(engine, "10.9.1.1"), 0)
        XCTAssertEqual(route(engine, "10.9.8.200"), 1)
    }

    func testAHostSendsEverythingToItsRouter() {
        let configuration = EngineConfiguration(
            isRouter: false, privateKey: Fixture.key(10), virtualAddress: Fixture.address("10.77.0.10"),
            peers: [PeerConfiguration(name: "vm1", publicKey: Fixture.key(1), allowedIPs: [Fixture.network("10.77.0.0/24")])])
        let engine = TunnelEngine(configuration: configuration, wallClock: Fixture.wallClock,
                                  random: Fixture.indexSource(base: 1))
        XCTAssertEqual(route(engine, "10.77.0.20"), 0)
        XCTAssertEqual(route(engine, "8.8.8.8"), 0)
        XCTAssertEqual(engine.globalDrops.noRoute, 0)
    }
}
