import MLinkConfig
import MLinkNetlink
import MLinkTypes
import XCTest
@testable import MLinkDaemon

/// Which gateway each link gets a table for: the pure half of `SourceRouting`, against made-up route dumps.
final class SourceRoutingTests: XCTestCase {
    let settings = Profile.RoutingSettings()
    let wwan = UsableLink(name: "wwan0", index: 3, address: IPAddress("10.64.1.7")!, mtu: 1500, prefixLength: 24)
    let eth = UsableLink(name: "eth0", index: 2, address: IPAddress("192.168.0.2")!, mtu: 1500, prefixLength: 24)
    let router = IPAddress("203.0.113.10")!

    func route(_ destination: String, via gateway: String? = nil, link: Int32, table: UInt32 = 254,
               metric: UInt32? = nil) -> Route {
        Route(destination: IPNetwork(destination)!, gateway: gateway.flatMap(IPAddress.init), outputLinkIndex: link,
              table: table, protocolNumber: RouteProtocol.boot, metric: metric)
    }

    func gateways(_ routes: [Route], links: [UsableLink]? = nil, endpoints: [IPAddress]? = nil) -> [String: String] {
        var result: [String: String] = [:]
        for (link, gateway) in SourceRouting.gateways(links: links ?? [wwan, eth], endpoints: endpoints ?? [router],
                                                      routes: routes, settings: settings) {
            result[link.name] = gateway.description
        }
        return result
    }

    func testEachLinkGetsTheGatewayOfItsOwnDefaultRoute() {
        let routes = [route("0.0.0.0/0", via: "192.168.0.1", link: 2, metric: 100),
                      route("0.0.0.0/0", via: "10.64.1.1", link: 3, metric: 700),
                      route("192.168.0.0/24", link: 2), route("10.64.1.0/24", link: 3)]
        XCTAssertEqual(gateways(routes), ["eth0": "192.168.0.1", "wwan0": "10.64.1.1"])
    }

    func testOnLinkRouterNeedsNoTable() {
        let routes = [route("203.0.113.0/24", link: 2), route("0.0.0.0/0", via: "192.168.0.1", link: 2)]
        XCTAssertEqual(gateways(routes, links: [eth]), [:])
    }

    func testLongestPrefixThenMetricThenMainTable() {
        let routes = [route("0.0.0.0/0", via: "10.64.1.1", link: 3),
                      route("203.0.113.0/24", via: "10.64.1.254", link: 3, metric: 50),
                      route("203.0.113.0/24", via: "10.64.1.253", link: 3, metric: 10),
                      route("203.0.113.0/24", via: "10.64.1.252", link: 3, table: 100, metric: 10)]
        XCTAssertEqual(gateways(routes, links: [wwan]), ["wwan0": "10.64.1.253"])
    }

    func testMlinksOwnTablesLocalAndOtherFamiliesAreIgnored() {
        let routes = [route("0.0.0.0/0", via: "10.64.1.9", link: 3, table: settings.tableBase),
                      route("0.0.0.0/0", via: "10.64.1.8", link: 3, table: 255),
                      Route(destination: IPNetwork("::/0")!, gateway: IPAddress("fe80::1"), outputLinkIndex: 3,
                            protocolNumber: RouteProtocol.boot)]
        XCTAssertEqual(gateways(routes, links: [wwan]), [:])
    }

    func testALinkWithoutAWayToTheRouterGetsNothing() {
        XCTAssertEqual(gateways([route("0.0.0.0/0", via: "192.168.0.1", link: 2)], links: [wwan]), [:])
    }

    func testARouterUsesEachLinksDefaultGateway() {
        let routes = [route("0.0.0.0/0", via: "192.168.0.1", link: 2), route("192.168.0.0/24", link: 2),
                      route("10.64.0.0/16", via: "10.64.1.1", link: 3)]
        XCTAssertEqual(gateways(routes, endpoints: [IPAddress(ipv4: 0)]), ["eth0": "192.168.0.1"],
                       "only a default route covers the unspecified address")
    }

    func testTheTableRangeStaysClearOfTheKernelsTables() {
        XCTAssertEqual(settings.tables.count, 256)
        XCTAssertFalse(settings.tables.contains(254))
    }
}
