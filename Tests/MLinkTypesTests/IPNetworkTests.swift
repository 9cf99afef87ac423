import MLinkTypes
import XCTest

final class IPNetworkTests: XCTestCase {
    private func net(_ text: String) -> IPNetwork { IPNetwork(text)! }
    private func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    func testParseKeepsHostBitsAndMaskedClearsThem() {
        let network = net("10.77.0.10/24")
        XCTAssertEqual(network.address, ip("10.77.0.10"))
        XCTAssertEqual(network.prefixLength, 24)
        XCTAssertEqual(network.description, "10.77.0.10/24")
        XCTAssertEqual(network.masked, net("10.77.0.0/24"))
        XCTAssertEqual(net("10.255.255.255/0").masked, net("0.0.0.0/0"))
        XCTAssertEqual(net("10.1.2.3/32").masked, net("10.1.2.3/32"))
        XCTAssertEqual(net("2001:db8:1:2:3:4:5:6/70").masked, net("2001:db8:1:2:0:0:0:0/70"))
        XCTAssertEqual(net("2001:db8:1:2:7fff::/65").masked, net("2001:db8:1:2::/65"))
        XCTAssertEqual(net("2001:db8:1:2:3:4:5:6/48").masked.description, "2001:db8:1::/48")
        XCTAssertEqual(net("fd00::1/128").masked, net("fd00::1/128"))
    }

    func testBareAddressIsAHostRoute() {
        XCTAssertEqual(net("10.77.0.1").prefixLength, 32)
        XCTAssertEqual(net("fd00::1").prefixLength, 128)
    }

    func testInvalid() {
        for text in ["10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8", "/8",
                     "10.0.0.0/8/8", "10.0.0.0/0x8", "10.0.0.0/0008", "10.0.0/8", "", "fd00::/abc"] {
            XCTAssertNil(IPNetwork(text), "'\(text)'")
        }
        XCTAssertNil(IPNetwork(address: ip("10.0.0.0"), prefixLength: 33))
        XCTAssertNil(IPNetwork(address: ip("10.0.0.0"), prefixLength: -1))
        XCTAssertNotNil(IPNetwork(address: ip("::"), prefixLength: 128))
    }

    func testContainsIPv4() {
        let network = net("10.77.0.0/24")
        XCTAssertTrue(network.contains(ip("10.77.0.0")))
        XCTAssertTrue(network.contains(ip("10.77.0.255")))
        XCTAssertFalse(network.contains(ip("10.77.1.0")))
        XCTAssertFalse(network.contains(ip("10.76.255.255")))
        XCTAssertTrue(net("10.77.0.99/24").contains(ip("10.77.0.1")), "host bits of the network are ignored")
        XCTAssertTrue(net("0.0.0.0/0").contains(ip("255.255.255.255")))
        XCTAssertFalse(net("0.0.0.0/0").contains(ip("::")), "never across families")
        XCTAssertTrue(net("10.1.2.3/32").contains(ip("10.1.2.3")))
        XCTAssertFalse(net("10.1.2.3/32").contains(ip("10.1.2.2")))
        XCTAssertTrue(net("128.0.0.0/1").contains(ip("200.0.0.0")))
        XCTAssertFalse(net("128.0.0.0/1").contains(ip("127.255.255.255")))
    }

    func testContainsIPv6() {
        XCTAssertTrue(net("fd00::/64").contains(ip("fd00::ffff:ffff:ffff:ffff")))
        XCTAssertFalse(net("fd00::/64").contains(ip("fd00:0:0:1::")))
        XCTAssertTrue(net("fd00::/65").contains(ip("fd00::7fff:ffff:ffff:ffff")))
        XCTAssertFalse(net("fd00::/65").contains(ip("fd00::8000:0:0:0")))
        XCTAssertTrue(net("fd00::/8").contains(ip("fdff::1")))
        XCTAssertFalse(net("fd00::/8").contains(ip("fe00::1")))
        XCTAssertTrue(net("::/0").contains(ip("2001:db8::1")))
        XCTAssertFalse(net("::/0").contains(ip("10.0.0.1")))
        XCTAssertTrue(net("fd00::1/128").contains(ip("fd00::1")))
        XCTAssertFalse(net("fd00::1/128").contains(ip("fd00::2")))
    }

    func testOverlaps() {
        XCTAssertTrue(net("10.0.0.0/8").overlaps(net("10.1.0.0/16")))
        XCTAssertTrue(net("10.1.0.0/16").overlaps(net("10.0.0.0/8")))
        XCTAssertTrue(net("10.77.0.10/32").overlaps(net("10.77.0.0/24")))
        XCTAssertFalse(net("10.0.0.0/16").overlaps(net("10.1.0.0/16")))
        XCTAssertFalse(net("10.77.0.10/32").overlaps(net("10.77.0.20/32")))
        XCTAssertTrue(net("0.0.0.0/0").overlaps(net("192.168.50.0/24")))
        XCTAssertFalse(net("0.0.0.0/0").overlaps(net("::/0")))
        XCTAssertTrue(net("fd00::/16").overlaps(net("fd00:1::/64")))
        XCTAssertFalse(net("fd00::/64").overlaps(net("fd00:0:0:1::/64")))
    }
}
