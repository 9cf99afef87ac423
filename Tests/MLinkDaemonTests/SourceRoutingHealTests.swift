import MLinkConfig
import MLinkControl
import MLinkNetlink
import MLinkTypes
import XCTest
@testable import MLinkDaemon

/// Which gateway a link keeps when the routes that gave it vanished: the pure half of healing.
final class SourceRoutingHealTests: XCTestCase {
    let wwan = UsableLink(name: "wwan0", index: 3, address: IPAddress("10.64.1.7")!, mtu: 1500, prefixLength: 24)
    let eth = UsableLink(name: "eth0", index: 2, address: IPAddress("192.168.0.2")!, mtu: 1500, prefixLength: 24)

    func answer(gateways: [GatewayChoice] = [], onLink: [UsableLink] = []) -> GatewayFinder.Answer {
        GatewayFinder.Answer(request: .init(links: [wwan, eth], endpoints: []), gateways: gateways, onLink: onLink,
                             ownRoutes: [], rules: [])
    }

    func remembered(_ link: UsableLink, _ gateway: String, index: Int32? = nil)
        -> [SourceRouting.LinkKey: (gateway: IPAddress, linkIndex: Int32)] {
        [SourceRouting.LinkKey(name: link.name, address: link.address): (IPAddress(gateway)!, index ?? link.index)]
    }

    func testALinkWhoseRoutesWereFlushedKeepsItsLastGateway() {
        let choices = SourceRouting.choices(answer(), currentLinks: [wwan, eth], remembered: remembered(wwan, "10.64.1.1"))
        XCTAssertEqual(choices, [GatewayChoice(link: wwan, gateway: IPAddress("10.64.1.1")!)])
    }

    func testWhatTheTablesSayWinsOverMemory() {
        let found = GatewayChoice(link: wwan, gateway: IPAddress("10.64.1.254")!)
        XCTAssertEqual(SourceRouting.choices(answer(gateways: [found]), currentLinks: [wwan],
                                             remembered: remembered(wwan, "10.64.1.1")), [found])
    }

    func testAnOnLinkRouterOrAnotherLinkOrAGatewayOffTheNetworkIsNotRemembered() {
        XCTAssertEqual(SourceRouting.choices(answer(onLink: [wwan]), currentLinks: [wwan],
                                             remembered: remembered(wwan, "10.64.1.1")), [])
        XCTAssertEqual(SourceRouting.choices(answer(), currentLinks: [wwan],
                                             remembered: remembered(wwan, "10.64.1.1", index: 9)), [],
                       "a link recreated under the same name is another link")
        XCTAssertEqual(SourceRouting.choices(answer(), currentLinks: [wwan],
                                             remembered: remembered(wwan, "10.99.0.1")), [])
        var renumbered = wwan
        renumbered.address = IPAddress("10.64.1.8")!
        XCTAssertEqual(SourceRouting.choices(answer(), currentLinks: [renumbered],
                                             remembered: remembered(wwan, "10.64.1.1")), [])
    }

    func testALinkThatIsNotThereGetsNothing() {
        XCTAssertEqual(SourceRouting.choices(answer(), currentLinks: [eth], remembered: remembered(wwan, "10.64.1.1")), [])
    }

    func testDecisionsTellOnLinkFromNoRoute() {
        let routes = [Route(destination: IPNetwork("203.0.113.0/24")!, outputLinkIndex: 2, protocolNumber: RouteProtocol.boot)]
        let decisions = SourceRouting.decisions(links: [wwan, eth], endpoints: [IPAddress("203.0.113.10")!], routes: routes,
                                                settings: Profile.RoutingSettings())
        XCTAssertEqual(decisions.count, 1)
        XCTAssertEqual(decisions.first?.0, eth)
        XCTAssertNil(decisions.first?.1)
    }
}

/// The heal counter reaches the metrics endpoint, one sample per link with a table.
final class SourceRoutingHealMetricsTests: XCTestCase {
    func testHealsAreExportedPerLink() {
        var report = StatusReport()
        report.interface = "ml0"
        report.sourceRouting = [SourceRouteReport(link: "wwan0", from: "10.64.1.7", table: 10901, gateway: "10.64.1.1", heals: 3),
                                SourceRouteReport(link: "eth0", from: "192.168.0.2", table: 10900, gateway: "192.168.0.1")]
        let text = MetricsRenderer.render(report)
        XCTAssertTrue(text.contains("# TYPE mlink_source_routing_heals_total counter\n"))
        XCTAssertTrue(text.contains("mlink_source_routing_heals_total{interface=\"ml0\",link=\"wwan0\"} 3\n"), text)
        XCTAssertTrue(text.contains("mlink_source_routing_heals_total{interface=\"ml0\",link=\"eth0\"} 0\n"), text)
    }
}
