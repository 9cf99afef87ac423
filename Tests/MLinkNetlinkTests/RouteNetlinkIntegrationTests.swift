import Foundation
import Glibc
import MLinkTypes
import XCTest

@testable import MLinkNetlink

/// RouteNetlink against a real kernel, in a throwaway namespace; cross-checked with `ip -j`. Root only.
final class RouteNetlinkIntegrationTests: XCTestCase {
    /// A veth pair v0/v1, both up (so v0 has carrier), and v0's index.
    private func makeVethPair(_ namespace: NetworkNamespace, netlink: RouteNetlink) throws -> Link {
        try namespace.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
        let peer = try XCTUnwrap(netlink.link(named: "v1"))
        try netlink.setLink(index: peer.index, up: true)
        return try XCTUnwrap(netlink.link(named: "v0"))
    }

    func testLinksAddressesRoutesAndRulesRoundTrip() throws {
        try NetworkNamespace.run { namespace in
            let netlink = try RouteNetlink()
            let created = try makeVethPair(namespace, netlink: netlink)
            XCTAssertEqual(created.kind, "veth")
            XCTAssertFalse(created.isUp)
            let index = created.index

            try netlink.setLink(index: index, up: true)
            try netlink.setLink(index: index, mtu: 1400)
            let link = try XCTUnwrap(netlink.links().first { $0.name == "v0" })
            XCTAssertEqual(link, Link(index: index, name: "v0", mtu: 1400, isUp: true, isLoopback: false,
                                      hasCarrier: true, kind: "veth"))
            XCTAssertEqual(try netlink.links().first { $0.isLoopback }?.name, "lo")
            let shownLink = try XCTUnwrap(namespace.ipJSON("link", "show", "dev", "v0").first)
            XCTAssertEqual(shownLink["mtu"] as? Int, 1400)
            XCTAssertEqual(shownLink["ifindex"] as? Int, Int(index))

            let v4 = IPNetwork("10.0.0.1/24")!
            let v6 = IPNetwork("fd00::1/64")!
            try netlink.addAddress(v4, linkIndex: index)
            try netlink.addAddress(v6, linkIndex: index)
            let addresses = try netlink.addresses().filter { $0.linkIndex == index && !$0.isLinkLocal }
            XCTAssertEqual(Set(addresses.map(\.network)), [v4, v6])
            XCTAssertFalse(try XCTUnwrap(addresses.first { $0.network == v6 }).isTentative, "NODAD")
            let shownAddresses = try XCTUnwrap(namespace.ipJSON("addr", "show", "dev", "v0").first)
            let info = try XCTUnwrap(shownAddresses["addr_info"] as? [[String: Any]])
            let shownGlobal = Set(info.filter { ($0["scope"] as? String) == "global" }
                .compactMap { entry -> String? in
                    guard let local = entry["local"] as? String, let length = entry["prefixlen"] as? Int else {
                        return nil
                    }
                    return "\(local)/\(length)"
                })
            XCTAssertEqual(shownGlobal, ["10.0.0.1/24", "fd00::1/64"])

            let mainRoute = Route(destination: IPNetwork("10.1.0.0/16")!, gateway: IPAddress("10.0.0.254"),
                                  outputLinkIndex: index, table: 254, metric: 50)
            let defaultRoute = Route(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.0.0.254"),
                                     outputLinkIndex: index, table: 1000)
            let directRoute = Route(destination: IPNetwork("10.2.0.0/16")!, outputLinkIndex: index, table: 1000,
                                    source: IPAddress("10.0.0.1"))
            let v6Route = Route(destination: IPNetwork("fd01::/64")!, gateway: IPAddress("fd00::fe"),
                                outputLinkIndex: index, table: 1000, metric: 50)
            for route in [mainRoute, defaultRoute, directRoute, v6Route] { try netlink.addRoute(route) }
            XCTAssertTrue(try netlink.routes(table: 254).contains(mainRoute))
            let table1000 = try netlink.routes(table: 1000)
            XCTAssertEqual(table1000.count, 3, "\(table1000)")
            for route in [defaultRoute, directRoute, v6Route] { XCTAssertTrue(table1000.contains(route), "\(route)") }
            XCTAssertTrue(try netlink.routes(table: nil).contains(v6Route))
            let shownRoutes = try namespace.ipJSON("route", "show", "table", "1000")
            XCTAssertEqual(Set(shownRoutes.compactMap { $0["dst"] as? String }), ["default", "10.2.0.0/16"])
            XCTAssertTrue(shownRoutes.allSatisfy { "\($0["protocol"] ?? "")" == "109" })
            let shownDirect = try XCTUnwrap(shownRoutes.first { ($0["dst"] as? String) == "10.2.0.0/16" })
            XCTAssertEqual(shownDirect["prefsrc"] as? String, "10.0.0.1")
            XCTAssertEqual(shownDirect["scope"] as? String, "link")
            let shownV6 = try namespace.ipJSON("-6", "route", "show", "table", "1000")
            XCTAssertEqual(shownV6.first?["dst"] as? String, "fd01::/64")
            XCTAssertEqual(shownV6.first?["gateway"] as? String, "fd00::fe")
            XCTAssertEqual(shownV6.first?["metric"] as? Int, 50)

            let rule = Rule(source: IPNetwork("10.0.0.1/32")!, table: 1000, priority: 100)
            let v6Rule = Rule(source: IPNetwork("fd00::1/128")!, table: 1000, priority: 100)
            try netlink.addRule(rule)
            try netlink.addRule(v6Rule)
            let rules = try netlink.rules()
            XCTAssertTrue(rules.contains(rule))
            XCTAssertTrue(rules.contains(v6Rule))
            let shownRule = try XCTUnwrap(namespace.ipJSON("rule").first { ($0["priority"] as? Int) == 100 })
            XCTAssertEqual(shownRule["src"] as? String, "10.0.0.1")
            XCTAssertEqual("\(shownRule["table"] ?? "")", "1000")
            XCTAssertEqual("\(shownRule["protocol"] ?? "")", "109")

            for rule in [rule, v6Rule] { try netlink.deleteRule(rule) }
            for route in [mainRoute, defaultRoute, directRoute, v6Route] { try netlink.deleteRoute(route) }
            try netlink.deleteAddress(v4, linkIndex: index)
            try netlink.deleteAddress(v6, linkIndex: index)
            XCTAssertFalse(try netlink.rules().contains { $0.table == 1000 })
            XCTAssertEqual(try netlink.routes(table: 1000), [])
            XCTAssertFalse(try netlink.routes(table: 254).contains(mainRoute))
            XCTAssertEqual(try netlink.addresses().filter { $0.linkIndex == index && !$0.isLinkLocal }, [])
            XCTAssertEqual(try namespace.ipJSON("route", "show", "table", "all", "proto", "109").count, 0)
            XCTAssertEqual(try namespace.ipJSON("-6", "route", "show", "table", "all", "proto", "109").count, 0)
            XCTAssertNil(try namespace.ipJSON("rule").first { ($0["priority"] as? Int) == 100 })

            try netlink.setLink(index: index, up: false)
            XCTAssertEqual(try netlink.link(named: "v0")?.isUp, false)
            try netlink.deleteLink(index: index)
            XCTAssertNil(try netlink.link(named: "v0"))
            XCTAssertNil(try netlink.link(named: "v1"), "deleting one end of a veth pair deletes both")
        }
    }

    func testAddingAnAddressTwiceFailsWithEEXISTAndTheKernelsReason() throws {
        try NetworkNamespace.run { namespace in
            let netlink = try RouteNetlink()
            let link = try makeVethPair(namespace, netlink: netlink)
            let address = IPNetwork("10.0.0.1/24")!
            try netlink.addAddress(address, linkIndex: link.index)
            XCTAssertThrowsError(try netlink.addAddress(address, linkIndex: link.index)) { error in
                guard let error = error as? NetlinkError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.errno, EEXIST)
                XCTAssertEqual(error.operation, "add address 10.0.0.1/24 on v0")
                XCTAssertTrue(error.description.hasPrefix("add address 10.0.0.1/24 on v0: File exists"),
                              error.description)
            }
        }
    }

    func testKernelExplanationReachesTheError() throws {
        try NetworkNamespace.run { namespace in
            let netlink = try RouteNetlink()
            let link = try makeVethPair(namespace, netlink: netlink)
            try netlink.setLink(index: link.index, up: true)
            let unreachable = Route(destination: IPNetwork("10.2.0.0/16")!, gateway: IPAddress("10.9.9.9"),
                                    outputLinkIndex: link.index)
            XCTAssertThrowsError(try netlink.addRoute(unreachable)) { error in
                guard let error = error as? NetlinkError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.errno, ENETUNREACH)
                XCTAssertEqual(error.message, "Nexthop has invalid gateway")
            }
            XCTAssertThrowsError(try netlink.deleteRoute(unreachable)) { error in
                XCTAssertEqual((error as? NetlinkError)?.errno, ESRCH)
            }
        }
    }

    func testMissingLinkIsNil() throws {
        try NetworkNamespace.run { _ in
            let netlink = try RouteNetlink()
            XCTAssertNil(try netlink.link(named: "nonexistent0"))
            XCTAssertNil(try netlink.link(named: "a-name-longer-than-fifteen"))
            XCTAssertEqual(try netlink.link(named: "lo")?.isLoopback, true)
        }
    }
}
