import MLinkTypes
import XCTest
@testable import MLinkProtocol

final class InnerPacketTests: XCTestCase {
    private func addresses(_ packet: [UInt8], length: Int? = nil) -> (source: IPAddress?, destination: IPAddress?) {
        packet.withUnsafeBytes { raw in
            (InnerPacket.source(raw.baseAddress!, length: length ?? raw.count),
             InnerPacket.destination(raw.baseAddress!, length: length ?? raw.count))
        }
    }

    func testIPv4() {
        let packet = Fixture.ipv4Packet(source: "10.77.0.10", destination: "192.0.2.200", sequence: 1)
        let (source, destination) = addresses(packet)
        XCTAssertEqual(source, Fixture.address("10.77.0.10"))
        XCTAssertEqual(destination, Fixture.address("192.0.2.200"))
        XCTAssertEqual(addresses(packet, length: 20).destination, Fixture.address("192.0.2.200"), "header only")
    }

    func testIPv6() {
        let packet = Fixture.ipv6Packet(source: "fd00::10", destination: "2001:db8:1:2:3:4:5:6")
        let (source, destination) = addresses(packet)
        XCTAssertEqual(source, Fixture.address("fd00::10"))
        XCTAssertEqual(destination, Fixture.address("2001:db8:1:2:3:4:5:6"))
        XCTAssertEqual(addresses(packet, length: 40).source, Fixture.address("fd00::10"))
    }

    func testShortPacketsAreNil() {
        let v4 = Fixture.ipv4Packet(source: "10.0.0.1", destination: "10.0.0.2", sequence: 1)
        for length in 0..<20 {
            XCTAssertNil(addresses(v4, length: length).source, "IPv4 length \(length)")
            XCTAssertNil(addresses(v4, length: length).destination, "IPv4 length \(length)")
        }
        let v6 = Fixture.ipv6Packet(source: "fd00::1", destination: "fd00::2")
        for length in 0..<40 {
            XCTAssertNil(addresses(v6, length: length).source, "IPv6 length \(length)")
            XCTAssertNil(addresses(v6, length: length).destination, "IPv6 length \(length)")
        }
    }

    func testNonIPVersionsAreNil() {
        var packet = Fixture.ipv6Packet(source: "fd00::1", destination: "fd00::2")
        for version in [0, 1, 5, 7, 0xf] as [UInt8] {
            packet[0] = version << 4
            XCTAssertNil(addresses(packet).source, "version \(version)")
            XCTAssertNil(addresses(packet).destination, "version \(version)")
        }
    }
}
