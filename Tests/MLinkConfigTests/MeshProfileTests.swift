import MLinkTypes
import XCTest
@testable import MLinkConfig

/// Issue 16's keys: a host's `routers`, a router's `role: router` peers and the dialling tie-break; the bad cases
/// are golden files (Fixtures/bad/mesh-*).
final class MeshProfileTests: XCTestCase {
    static let host = """
        name: vm0
        private-key: YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c=
        interface: {name: ml-vm0, address: 10.77.0.10/24}
        preempt-delay: 4
        router:
          name: r1
          public-key: XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM=
          endpoints: [192.168.0.3:7000]
          virtual-ip: 10.77.0.1
        routers:
          - {name: r2, public-key: GCntwA0vr+JI2RC7/o3yQXX8ZfMu7kvVbGbTzDnAUhk=, endpoints: [198.51.100.7:7000],
             virtual-ip: 10.77.0.2, preference: 10}
          - {name: r3, public-key: pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI=, endpoints: [198.51.100.8:7000],
             virtual-ip: 10.77.0.3, routes: [172.16.0.0/16]}

        """

    /// The contract of issue 16, as written there.
    static let router = """
        name: r1
        role: router
        private-key: YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c=
        interface: {name: ml-r1, address: 10.77.0.1/24}
        address-pool: {prefix: 10.77.0.0/24, allocate: 10.77.0.64/27}
        peers:
          - {name: vm0, public-key: XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM=}
          - {name: r2, role: router, public-key: GCntwA0vr+JI2RC7/o3yQXX8ZfMu7kvVbGbTzDnAUhk=,
             endpoints: [198.51.100.7:7000], allowed-ips: [10.77.0.2/32],
             allowed-routes: [{prefix: 10.77.0.0/24, max-length: 32}, {prefix: 192.168.0.0/16, max-length: 32}]}
          - {name: r3, role: router, public-key: pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI=,
             allowed-ips: [10.77.0.3/32]}

        """

    func testHostListsItsRoutersWithPreferences() throws {
        let profile = try ProfileLoader.parse(text: Self.host, path: "vm0.yaml", directory: "")
        XCTAssertEqual(profile.allRouters.map(\.name), ["r1", "r2", "r3"])
        XCTAssertEqual(profile.allRouters.map(\.preference), [0, 10, 100])
        XCTAssertEqual(profile.routers[0].endpoints, [try Endpoint.parse("198.51.100.7:7000").get()])
        XCTAssertEqual(profile.routers[0].virtualIP, IPAddress("10.77.0.2"))
        XCTAssertEqual(profile.routers[1].routes, [IPNetwork("172.16.0.0/16")!])
        XCTAssertEqual(profile.routes.preemptDelaySeconds, 4)
    }

    func testOneRouterKeepsItsDefaults() throws {
        let text = Self.host.components(separatedBy: "routers:")[0].replacingOccurrences(of: "  name: r1\n", with: "")
        let profile = try ProfileLoader.parse(text: text, path: "vm0.yaml", directory: "")
        XCTAssertEqual(profile.allRouters.map(\.name), ["router"])
        XCTAssertEqual(profile.router?.preference, 0)
        XCTAssertTrue(profile.routers.isEmpty)
    }

    func testRouterPeersHaveRoleEndpointsAndWideAllowedRoutes() throws {
        let profile = try ProfileLoader.parse(text: Self.router, path: "r1.yaml", directory: "")
        XCTAssertEqual(profile.peers.map(\.role), [.host, .router, .router])
        XCTAssertEqual(profile.peers[1].endpoints, [try Endpoint.parse("198.51.100.7:7000").get()])
        XCTAssertTrue(profile.peers[2].endpoints.isEmpty)
        // A router peer's allowed-routes bound imports, so they may lie inside the virtual network.
        XCTAssertEqual(profile.peers[1].allowedRoutes.map(\.route.prefix), [IPNetwork("10.77.0.0/24")!, IPNetwork("192.168.0.0/16")!])
        XCTAssertEqual(profile.peers[2].line, 11)
    }

    func testARouterPeersSliceMayHoldAHostOfOurs() throws {
        // hM sits on both routers: r1 lists it as a host /32 inside r2's slice; the longer prefix wins.
        let text = Self.router.replacingOccurrences(
            of: "{name: vm0, public-key: XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM=}",
            with: "{name: vm0, public-key: XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM=, allowed-ips: [10.77.0.100/32]}")
            .replacingOccurrences(of: "allowed-ips: [10.77.0.2/32]", with: "allowed-ips: [10.77.0.2/32, 10.77.0.96/27]")
        let profile = try ProfileLoader.parse(text: text, path: "r1.yaml", directory: "")
        XCTAssertEqual(profile.peers[0].allowedIPs, [IPNetwork("10.77.0.100/32")!])
        XCTAssertEqual(profile.peers[1].allowedIPs, [IPNetwork("10.77.0.2/32")!, IPNetwork("10.77.0.96/27")!])
    }

    func testTheLowerKeyDials() {
        let low = Key32(bytes: [UInt8](repeating: 1, count: 31) + [9])!
        let high = Key32(bytes: [UInt8](repeating: 1, count: 31) + [10])!
        XCTAssertTrue(Profile.dials(own: low, peer: high))
        XCTAssertFalse(Profile.dials(own: high, peer: low))
        XCTAssertFalse(Profile.dials(own: low, peer: low))
        // The first byte decides, not the words' numeric order.
        let firstByteLow = Key32(bytes: [0] + [UInt8](repeating: 255, count: 31))!
        let firstByteHigh = Key32(bytes: [1] + [UInt8](repeating: 0, count: 31))!
        XCTAssertTrue(Profile.dials(own: firstByteLow, peer: firstByteHigh))
    }

    func testARouterThatMustDialNeedsEndpoints() throws {
        let profile = try ProfileLoader.parse(text: Self.router, path: "r1.yaml", directory: "")
        // With the lowest possible key this router dials r2 (endpoints given) and r3 (none): r3 is the problem.
        let problem = profile.routerPeerProblem(ownPublicKey: .zero)
        XCTAssertEqual(problem?.description, "r1.yaml:11:12: peers[2].endpoints: router peer 'r3' has a higher public "
                       + "key, so this router dials it (the lower key dials); give its endpoints")
        // With the highest key it dials nobody, and r3 dials it.
        let highest = Key32(w0: .max, w1: .max, w2: .max, w3: .max)
        XCTAssertNil(profile.routerPeerProblem(ownPublicKey: highest))
    }
}
