import CMnl
import MLinkTypes
import XCTest

@testable import MLinkNetlink

/// Requests must match what iproute2 sends, byte for byte (see `Recorded` for how they were captured).
final class NetlinkRequestTests: XCTestCase {
    /// The sequence number `ip` used in the recordings.
    private let sequence: UInt32 = 0x6b07_0f06

    func testSetLinkUpMatchesIproute() {
        XCTAssertEqual(NetlinkMessages.setLink(index: 8, up: true, sequence: sequence), Recorded.setLinkUp)
    }

    func testSetLinkMTUMatchesIproute() {
        XCTAssertEqual(NetlinkMessages.setLink(index: 8, mtu: 1400, sequence: sequence), Recorded.setLinkMTU)
    }

    func testNewIPv4AddressMatchesIproute() {
        let message = NetlinkMessages.newAddress(IPNetwork("10.0.0.1/24")!, linkIndex: 8, sequence: sequence)
        XCTAssertEqual(message, Recorded.newAddressV4)
    }

    func testNewIPv6AddressMatchesIprouteWithNodad() {
        let message = NetlinkMessages.newAddress(IPNetwork("fd00::1/64")!, linkIndex: 8, sequence: sequence)
        XCTAssertEqual(message, Recorded.newAddressV6)
    }

    func testNewIPv4RouteInHighTableMatchesIproute() {
        let route = Route(destination: IPNetwork("10.1.0.0/16")!, gateway: IPAddress("10.0.0.254"),
                          outputLinkIndex: 8, table: 1000, protocolNumber: RouteProtocol.mlink, metric: 50)
        XCTAssertEqual(NetlinkMessages.newRoute(route, sequence: sequence), Recorded.newRouteV4)
    }

    func testNewIPv6RouteInHighTableMatchesIproute() {
        let route = Route(destination: IPNetwork("fd01::/64")!, gateway: IPAddress("fd00::fe"),
                          outputLinkIndex: 8, table: 1000, protocolNumber: 109, metric: 50)
        XCTAssertEqual(NetlinkMessages.newRoute(route, sequence: sequence), Recorded.newRouteV6)
    }

    func testNewRuleMatchesIproute() {
        let rule = Rule(source: IPNetwork("10.0.0.1/32")!, table: 1000, priority: 100, protocolNumber: 109)
        XCTAssertEqual(NetlinkMessages.newRule(rule, sequence: sequence), Recorded.newRule)
    }

    func testRuleWithoutProtocolDropsOnlyTheLastAttribute() {
        let rule = Rule(source: IPNetwork("10.0.0.1/32")!, table: 1000, priority: 100, protocolNumber: 109)
        let message = NetlinkMessages.newRule(rule, includeProtocol: false, sequence: sequence)
        var expected = Array(Recorded.newRule.prefix(52))
        expected[0] = 52
        XCTAssertEqual(message, expected)
    }

    /// Hand-computed from struct rtmsg: a main-table route needs no RTA_TABLE, and an IPv4 route without a
    /// gateway is on the link (RT_SCOPE_LINK, 253), as `ip` decides.
    func testMainTableDirectRouteUsesHeaderTableAndLinkScope() {
        let route = Route(destination: IPNetwork("10.2.0.0/16")!, outputLinkIndex: 8)
        let message = NetlinkMessages.newRoute(route, sequence: 1)
        XCTAssertEqual(message, [
            0x2c, 0x00, 0x00, 0x00, 0x18, 0x00, 0x05, 0x06, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x02, 0x10, 0x00, 0x00, 0xfe, 0x6d, 0xfd, 0x01, 0x00, 0x00, 0x00, 0x00,
            0x08, 0x00, 0x01, 0x00, 0x0a, 0x02, 0x00, 0x00,
            0x08, 0x00, 0x04, 0x00, 0x08, 0x00, 0x00, 0x00,
        ])
    }

    /// Deletion matches any scope (RT_SCOPE_NOWHERE, 255) but keeps the protocol, and drops the create flags.
    func testDeleteRouteMatchesAnyScopeButOnlyOurProtocol() {
        let route = Route(destination: IPNetwork("10.1.0.0/16")!, gateway: IPAddress("10.0.0.254"),
                          outputLinkIndex: 8, table: 1000, protocolNumber: 109, metric: 50)
        var expected = Recorded.newRouteV4
        expected[4] = UInt8(RTM_DELROUTE)
        expected[6] = 0x05
        expected[7] = 0x00
        expected[22] = 0xff
        XCTAssertEqual(NetlinkMessages.deleteRoute(route, sequence: sequence), expected)
    }

    /// A default route carries no RTA_DST, and host bits in the destination are cleared.
    func testDestinationIsMaskedAndDefaultHasNoDestinationAttribute() {
        let unmasked = Route(destination: IPNetwork("10.1.2.3/16")!, gateway: IPAddress("10.0.0.254"),
                             outputLinkIndex: 8, table: 1000, protocolNumber: 109, metric: 50)
        XCTAssertEqual(NetlinkMessages.newRoute(unmasked, sequence: sequence), Recorded.newRouteV4)
        let defaultRoute = Route(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.0.0.254"))
        let message = NetlinkMessages.newRoute(defaultRoute, sequence: 1)
        XCTAssertEqual(message.count, 16 + 12 + 8)
        XCTAssertEqual(Array(message[28..<32]), [0x08, 0x00, UInt8(RTA_GATEWAY.rawValue), 0x00])
    }

    func testDeleteAddressHasNoCreateFlagsAndNoNodad() {
        let message = NetlinkMessages.deleteAddress(IPNetwork("fd00::1/64")!, linkIndex: 8, sequence: sequence)
        var expected = Recorded.newAddressV6
        expected[4] = UInt8(RTM_DELADDR)
        expected[7] = 0x00
        expected[18] = 0x00
        XCTAssertEqual(message, expected)
    }

    func testDumpRequestsAskForEveryFamily() {
        for message in [NetlinkMessages.getAddresses(sequence: 7), NetlinkMessages.getRoutes(sequence: 7),
                        NetlinkMessages.getRules(sequence: 7), NetlinkMessages.getLinks(sequence: 7)] {
            XCTAssertEqual(Int(message[6]) | Int(message[7]) << 8, Int(NLM_F_REQUEST | NLM_F_DUMP))
            XCTAssertEqual(message[16], 0, "family must be AF_UNSPEC")
        }
    }

    func testLinkLookupByNameCarriesTheNameWithItsTerminator() {
        let message = NetlinkMessages.getLink(named: "ml-vm0", sequence: 7)
        XCTAssertEqual(Int(message[0]), message.count)
        XCTAssertEqual(Array(message.suffix(12)),
                       [0x0b, 0x00, UInt8(IFLA_IFNAME), 0x00, 0x6d, 0x6c, 0x2d, 0x76, 0x6d, 0x30, 0x00, 0x00])
    }
}
