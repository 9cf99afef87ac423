import MLinkRoutes
import MLinkTypes
import XCTest
@testable import MLinkConfig

/// Issue 13's route keys read into the profile model; the bad cases are golden files (Fixtures/bad/routes-*).
final class ProfileAnnounceTests: XCTestCase {
    static let host = """
        name: vm2
        private-key: YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c=
        interface: {name: ml-vm2, address: 10.77.0.20/24}
        announce:
          - 192.168.50.0/24
          - {prefix: 10.50.1.0/24, preference: 10, while-route: true}
          - {prefix: fd00:50::/64}
        router:
          public-key: pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI=
          endpoints: [192.168.2.3:7000]
          virtual-ip: 10.77.0.1
          accept-routes: [10.50.0.0/16, 172.16.0.0/12]
          accept-default: true

        """

    static let router = """
        name: vm1
        role: router
        private-key: YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c=
        interface: {name: ml-vm1, address: 10.77.0.1/24}
        push-routes: [172.16.0.0/16]
        preempt-delay: 5
        max-routes: 10
        peers:
          - name: vm0
            public-key: XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM=
            allowed-ips: [10.77.0.10/32]
          - name: vm2
            public-key: pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI=
            allowed-ips: [10.77.0.20/32]
            allowed-routes: [192.168.50.0/24, {prefix: 10.50.0.0/16, max-length: 24}]

        """

    func testAHostsAnnouncementsAndAcceptance() throws {
        let profile = try ProfileLoader.parse(text: Self.host, path: "vm2.yaml", directory: "")
        XCTAssertEqual(profile.routes.announce, [
            Profile.Announcement(prefix: IPNetwork("192.168.50.0/24")!),
            Profile.Announcement(prefix: IPNetwork("10.50.1.0/24")!, preference: 10, whileRoute: true),
            Profile.Announcement(prefix: IPNetwork("fd00:50::/64")!),
        ])
        XCTAssertEqual(profile.routes.acceptance,
                       RouteAcceptance(policy: .list([IPNetwork("10.50.0.0/16")!, IPNetwork("172.16.0.0/12")!]),
                                       acceptDefault: true))
    }

    func testDefaults() throws {
        let text = Self.host.replacingOccurrences(of: "  accept-routes: [10.50.0.0/16, 172.16.0.0/12]\n  accept-default: true\n",
                                                  with: "")
        let profile = try ProfileLoader.parse(text: text, path: "vm2.yaml", directory: "")
        XCTAssertEqual(profile.routes.acceptance, RouteAcceptance(policy: .privateOnly, acceptDefault: false))
        let router = try ProfileLoader.parse(text: Self.router.replacingOccurrences(of: "preempt-delay: 5\nmax-routes: 10\n", with: ""),
                                             path: "vm1.yaml", directory: "")
        XCTAssertEqual(router.routes.preemptDelaySeconds, 30)
        XCTAssertEqual(router.routes.maximumRoutesPerPeer, 256)
        XCTAssertEqual(router.peers[0].allowedRoutes, [])
    }

    func testARoutersPushRoutesAndAllowedRoutesWithTheirPlaces() throws {
        let profile = try ProfileLoader.parse(text: Self.router, path: "vm1.yaml", directory: "")
        XCTAssertEqual(profile.routes.pushRoutes, [IPNetwork("172.16.0.0/16")!])
        XCTAssertEqual(profile.routes.preemptDelaySeconds, 5)
        XCTAssertEqual(profile.routes.maximumRoutesPerPeer, 10)
        XCTAssertEqual(profile.peers[1].allowedRoutes.map(\.route), [
            AllowedRoute(prefix: IPNetwork("192.168.50.0/24")!),
            AllowedRoute(prefix: IPNetwork("10.50.0.0/16")!, maxLength: 24),
        ])
        XCTAssertEqual(profile.peers[1].allowedRoutes[1].key, "peers[1].allowed-routes[1].prefix")
        XCTAssertEqual(profile.peers[1].allowedRoutes[1].line, 15)
        // Found against the router's links later (check, up), still named by file, line, column and key.
        let problem = profile.allowedRoutesProblem(linkNetworks: [("enp0s9", IPNetwork("10.0.0.3/8")!)])
        XCTAssertEqual(problem?.description, "vm1.yaml:15:48: peers[1].allowed-routes[1].prefix: 10.50.0.0/16 lies inside "
                       + "10.0.0.0/8 of link enp0s9: an announcement there would capture the tunnel")
        XCTAssertNil(profile.allowedRoutesProblem(linkNetworks: [("enp0s8", IPNetwork("192.168.50.128/25")!)]),
                     "an entry around a link network still allows what does not overlap it")
    }
}
