import MLinkTypes
import XCTest

final class IPAddressTests: XCTestCase {
    private func v6(_ high: UInt64, _ low: UInt64) -> IPAddress { IPAddress(ipv6High: high, low: low) }

    func testIPv4ParseAndPrint() throws {
        let address = try XCTUnwrap(IPAddress("192.168.0.3"))
        XCTAssertFalse(address.isIPv6)
        XCTAssertEqual(address.ipv4Value, 0xc0a8_0003)
        XCTAssertEqual(address.bytes, [192, 168, 0, 3])
        XCTAssertEqual(address.bitWidth, 32)
        XCTAssertEqual(address.description, "192.168.0.3")
        for text in ["0.0.0.0", "255.255.255.255", "10.77.0.10", "1.2.3.4", "100.64.0.1"] {
            XCTAssertEqual(IPAddress(text)?.description, text)
        }
        XCTAssertTrue(IPAddress("0.0.0.0")!.isUnspecified)
    }

    func testInvalidIPv4() {
        for text in ["1.2.3", "01.2.3.4", "1.2.3.04", "1.2.3.4.5", "256.0.0.1", "1.2.3.1000", "1..2.3", ".1.2.3",
                     "1.2.3.", "", "a.b.c.d", "1.2.3.4 ", " 1.2.3.4", "-1.2.3.4", "+1.2.3.4", "1.2.3.0x1", "1,2,3,4",
                     "١.2.3.4", "1.2.3.4/32"] {
            XCTAssertNil(IPAddress(text), "'\(text)'")
        }
    }

    func testIPv6ParseAndCanonicalText() throws {
        let cases: [(String, String)] = [
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),          // lower case
            ("2001:0db8:0000::0001", "2001:db8::1"),          // no leading zeros
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), // a single zero group is not compressed
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),          // the longest run is compressed
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),    // of equal runs, the first
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("fe80::a:b:c:d", "fe80::a:b:c:d"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ]
        for (text, canonical) in cases {
            let address = try XCTUnwrap(IPAddress(text), text)
            XCTAssertTrue(address.isIPv6)
            XCTAssertEqual(address.description, canonical, text)
            XCTAssertEqual(IPAddress(canonical), address, "canonical text parses back: \(canonical)")
        }
        XCTAssertEqual(IPAddress("2001:db8::1"), v6(0x2001_0db8_0000_0000, 1))
        XCTAssertEqual(IPAddress("::")?.isUnspecified, true)
        XCTAssertEqual(IPAddress("2001:db8::1")?.bytes, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    }

    func testEmbeddedIPv4() {
        XCTAssertEqual(IPAddress("::ffff:192.0.2.1"), v6(0, 0x0000_ffff_c000_0201))
        XCTAssertEqual(IPAddress("64:ff9b::192.0.2.33"), v6(0x0064_ff9b_0000_0000, 0xc000_0221))
        XCTAssertEqual(IPAddress("1:2:3:4:5:6:1.2.3.4"), v6(0x0001_0002_0003_0004, 0x0005_0006_0102_0304))
        XCTAssertEqual(IPAddress("::1.2.3.4"), v6(0, 0x0102_0304))
        let mapped = IPAddress("::ffff:192.0.2.1")!
        XCTAssertEqual(IPAddress(mapped.description), mapped, "printed form parses back")
        XCTAssertNotEqual(mapped, IPAddress("192.0.2.1"), "a mapped address is IPv6, not IPv4")
    }

    func testInvalidIPv6() {
        for text in [":::", "1::2::3", "::1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
                     "::1:2:3:4:5:6:7:8", "12345::", "g::", "::g", ":1::", "1::2:", ":", "1:", "::1.2.3", "::256.1.1.1",
                     "::01.2.3.4", "1.2.3.4::", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", " ::1", "::1 ", "fe80::1%eth0",
                     "[::1]", "::1/128"] {
            XCTAssertNil(IPAddress(text), "'\(text)'")
        }
    }

    /// A group is 1 to 4 hex digits, nothing else: a sign is not a digit.
    func testSignsAreNotHexDigits() {
        for text in ["::+1", "::-0", "+1::", "1:+2::", "2001:db8::-1"] {
            XCTAssertNil(IPAddress(text), "'\(text)'")
        }
    }

    func testBytes() {
        XCTAssertEqual(IPAddress(bytes: [192, 168, 0, 3]), IPAddress("192.168.0.3"))
        let six: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7]
        XCTAssertEqual(IPAddress(bytes: six), IPAddress("2001:db8::7"))
        XCTAssertEqual(IPAddress(bytes: six)?.bytes, six)
        XCTAssertNil(IPAddress(bytes: [1, 2, 3]))
        XCTAssertNil(IPAddress(bytes: [UInt8](repeating: 0, count: 15)))
    }

    func testFamiliesNeverCompareEqualAndIPv4SortsFirst() {
        XCTAssertNotEqual(IPAddress(ipv4: 1), v6(0, 1))
        XCTAssertNotEqual(IPAddress("0.0.0.0"), IPAddress("::"))
        XCTAssertLessThan(IPAddress("255.255.255.255")!, IPAddress("::")!)
        XCTAssertLessThan(IPAddress("10.0.0.1")!, IPAddress("10.0.0.2")!)
        XCTAssertLessThan(IPAddress("::ffff")!, IPAddress("1::")!)
        XCTAssertEqual(Set([IPAddress("10.0.0.1")!, IPAddress("10.0.0.1")!, IPAddress("::a00:1")!]).count, 2)
    }

    func testSocketAddressText() {
        XCTAssertEqual(SocketAddress(address: IPAddress("192.168.0.3")!, port: 7000).description, "192.168.0.3:7000")
        XCTAssertEqual(SocketAddress(address: IPAddress("fd00::1")!, port: 7000).description, "[fd00::1]:7000")
    }
}
