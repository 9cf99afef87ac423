import MLinkRoutes
import MLinkTypes
import XCTest

/// The table each host gets, and the host's acceptance (routing.md T8 as a unit test).
final class RouteDistributionTests: XCTestCase {
    func testATableHoldsTheOthersAnnouncementsAndPushRoutesButNotTheHostsOwn() {
        let active: [(prefix: IPNetwork, peer: Int, preference: UInt8)] =
            [(net("192.168.50.0/24"), 2, 10), (net("10.50.1.0/24"), 1, 100)]
        let forOne = RouteDistribution.table(for: 1, active: active, ownAnnouncements: [net("10.50.1.0/24")],
                                             pushRoutes: [net("172.16.0.0/16")])
        XCTAssertEqual(forOne, [RoutePrefixItem(prefix: net("172.16.0.0/16"), preference: 0, flags: 1),
                                RoutePrefixItem(prefix: net("192.168.50.0/24"), preference: 10)])
        // A standby (peer 3 also announces 192.168.50.0/24) is not sent its own prefix through the primary.
        let forStandby = RouteDistribution.table(for: 3, active: active, ownAnnouncements: [net("192.168.50.0/24")],
                                                 pushRoutes: [])
        XCTAssertEqual(forStandby.map(\.prefix), [net("10.50.1.0/24")])
        let forOther = RouteDistribution.table(for: 4, active: active, ownAnnouncements: [],
                                               pushRoutes: [net("192.168.50.0/24"), net("fd00:9::/48")])
        XCTAssertEqual(forOther.map(\.prefix), [net("10.50.1.0/24"), net("192.168.50.0/24"), net("fd00:9::/48")])
        XCTAssertEqual(forOther[1].flags, 0, "an announced prefix that is also pushed is sent as the announcement")
    }

    func testAcceptancePolicies() {
        let none = HostSurroundings()
        let privateOnly = RouteAcceptance()
        XCTAssertEqual(privateOnly.decide(net("192.168.50.0/24"), surroundings: none), .install)
        XCTAssertEqual(privateOnly.decide(net("100.64.3.0/24"), surroundings: none), .install)
        XCTAssertEqual(privateOnly.decide(net("fd00:1::/64"), surroundings: none), .install)
        XCTAssertEqual(privateOnly.decide(net("203.0.113.0/24"), surroundings: none), .notAccepted)
        XCTAssertEqual(privateOnly.decide(net("0.0.0.0/0"), surroundings: none), .defaultRoute)
        XCTAssertEqual(RouteAcceptance(policy: .none).decide(net("10.1.0.0/16"), surroundings: none), .notAccepted)
        XCTAssertEqual(RouteAcceptance(policy: .all).decide(net("203.0.113.0/24"), surroundings: none), .install)
        XCTAssertEqual(RouteAcceptance(policy: .all).decide(net("::/0"), surroundings: none), .defaultRoute)
        XCTAssertEqual(RouteAcceptance(policy: .all, acceptDefault: true).decide(net("::/0"), surroundings: none), .install)
        XCTAssertEqual(RouteAcceptance(policy: .none, acceptDefault: true).decide(net("0.0.0.0/0"), surroundings: none),
                       .defaultRoute)
        let list = RouteAcceptance(policy: .list([net("10.50.0.0/16")]))
        XCTAssertEqual(list.decide(net("10.50.1.0/24"), surroundings: none), .install)
        XCTAssertEqual(list.decide(net("10.0.0.0/8"), surroundings: none), .notAccepted)
    }

    func testTheCaptureGuardSkipsWithAReason() {
        let surroundings = HostSurroundings(
            connected: [.init(network: net("192.168.50.7/24"), interface: "lan0"),
                        .init(network: net("192.168.1.2/24"), interface: "wlan0")],
            gateways: [(ip("10.9.0.1"), "wwan0")], endpoints: [ip("10.8.0.3")])
        let acceptance = RouteAcceptance(policy: .all)
        let decision = acceptance.decide(net("192.168.50.0/24"), surroundings: surroundings)
        XCTAssertEqual(decision, .overlapsConnected(net("192.168.50.0/24"), interface: "lan0"))
        XCTAssertEqual(decision.description, "skipped: overlaps 192.168.50.0/24 on lan0")
        XCTAssertEqual(decision.reason, "overlaps")
        XCTAssertEqual(acceptance.decide(net("192.168.0.0/16"), surroundings: surroundings),
                       .overlapsConnected(net("192.168.50.0/24"), interface: "lan0"), "containing a LAN")
        XCTAssertEqual(acceptance.decide(net("192.168.1.128/25"), surroundings: surroundings),
                       .overlapsConnected(net("192.168.1.0/24"), interface: "wlan0"), "inside a LAN")
        XCTAssertEqual(acceptance.decide(net("10.9.0.0/16"), surroundings: surroundings),
                       .overlapsGateway(ip("10.9.0.1"), interface: "wwan0"))
        XCTAssertEqual(acceptance.decide(net("10.8.0.0/24"), surroundings: surroundings), .overlapsEndpoint(ip("10.8.0.3")))
        XCTAssertEqual(acceptance.decide(net("10.7.0.0/24"), surroundings: surroundings), .install)
        XCTAssertEqual(RouteAcceptance(policy: .all, acceptDefault: true).decide(net("0.0.0.0/0"), surroundings: surroundings),
                       .install, "an asked-for default route stays below the LANs by longest prefix")
    }
}
