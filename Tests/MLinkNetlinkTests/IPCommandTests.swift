import MLinkTypes
import XCTest
@testable import MLinkNetlink

/// The one rendering of routes, rules and addresses as `ip` commands, checked against iproute2's syntax.
final class IPCommandTests: XCTestCase {
    func testRoutesInIpRouteOrderWithMainTableAndNoMetricLeftOut() {
        let plain = Route(destination: IPNetwork("10.77.0.20/32")!)
        XCTAssertEqual(plain.ipCommand(.add, device: "ml-vm1"), "ip route add 10.77.0.20/32 dev ml-vm1 proto 109")
        let full = Route(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("192.168.0.1"), outputLinkIndex: 2,
                         table: 10900, protocolNumber: 77, metric: 50, source: IPAddress("192.168.0.3"))
        XCTAssertEqual(full.ipCommand(.delete, device: "enp0s3"),
                       "ip route del default via 192.168.0.1 dev enp0s3 src 192.168.0.3 table 10900 proto 77 metric 50")
        XCTAssertEqual(full.ipArguments(device: nil),
                       "default via 192.168.0.1 src 192.168.0.3 table 10900 proto 77 metric 50")
        let v6 = Route(destination: IPNetwork("::/0")!, gateway: IPAddress("fd02::1"), table: 255)
        XCTAssertEqual(v6.ipCommand(.add, device: nil), "ip -6 route add default via fd02::1 table local proto 109")
        let masked = Route(destination: IPNetwork("192.168.50.7/24")!)
        XCTAssertEqual(masked.ipArguments(device: nil), "192.168.50.0/24 proto 109", "host bits are never printed")
    }

    func testRulesNameTheirTableAndWriteHostSourcesBare() {
        let rule = Rule(source: IPNetwork("10.2.0.2/32")!, table: 10900, priority: 100)
        XCTAssertEqual(rule.ipCommand(.add), "ip rule add from 10.2.0.2 lookup 10900 priority 100 proto 109")
        let suppress = Rule(source: IPNetwork("fd02::2/128")!, table: 254, priority: 100, suppressPrefixLength: 0)
        XCTAssertEqual(suppress.ipCommand(.delete),
                       "ip -6 rule del from fd02::2 lookup main suppress_prefixlength 0 priority 100 proto 109")
        let all = Rule(isIPv6: true, source: nil, table: 7, priority: 5, protocolNumber: 0)
        XCTAssertEqual(all.ipCommand(.delete), "ip -6 rule del from all lookup 7 priority 5")
        let prefix = Rule(source: IPNetwork("10.2.0.0/16")!, table: 253, priority: 1)
        XCTAssertEqual(prefix.ipArguments, "from 10.2.0.0/16 lookup default priority 1 proto 109")
    }

    func testAddressesKeepTheirHostBits() {
        XCTAssertEqual(InterfaceAddress.ipCommand(.add, IPNetwork("10.77.0.10/24")!, device: "ml-vm0"),
                       "ip address add 10.77.0.10/24 dev ml-vm0")
        XCTAssertEqual(InterfaceAddress.ipCommand(.delete, IPNetwork("fd00::1/64")!, device: "ml-vm0"),
                       "ip address del fd00::1/64 dev ml-vm0")
    }
}
