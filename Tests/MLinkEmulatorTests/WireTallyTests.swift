import XCTest
@testable import MLinkEmulator

/// The relay's per-type wire bytes: a frame counts under its mlink message type, anything else under 0.
final class WireTallyTests: XCTestCase {
    /// An Ethernet + IPv4 + UDP frame whose payload starts with `payload`.
    private func ipv4Frame(payload: [UInt8], protocolNumber: UInt8 = 17, fragmentOffset: UInt16 = 0) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 14 + 20 + 8)
        frame[12] = 0x08; frame[13] = 0x00
        frame[14] = 0x45
        frame[14 + 6] = UInt8(fragmentOffset >> 8); frame[14 + 7] = UInt8(fragmentOffset & 0xff)
        frame[14 + 9] = protocolNumber
        return frame + payload + [UInt8](repeating: 0xee, count: 32)
    }

    private func ipv6Frame(payload: [UInt8]) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 14 + 40 + 8)
        frame[12] = 0x86; frame[13] = 0xDD
        frame[14] = 0x60
        frame[14 + 6] = 17
        return frame + payload + [UInt8](repeating: 0, count: 16)
    }

    private func type(_ frame: [UInt8]) -> Int {
        frame.withUnsafeBytes { WireTally.messageType(frame: $0.baseAddress!, length: $0.count) }
    }

    func testMLinkMessagesCountUnderTheirType() {
        XCTAssertEqual(type(ipv4Frame(payload: [4, 0, 1, 2])), 4)
        XCTAssertEqual(type(ipv4Frame(payload: [5, 0, 0, 0])), 5)
        XCTAssertEqual(type(ipv4Frame(payload: [6, 0, 0, 0])), 6)
        XCTAssertEqual(type(ipv6Frame(payload: [1, 0, 0, 0])), 1)
    }

    func testEverythingElseIsOther() {
        XCTAssertEqual(type(ipv4Frame(payload: [4, 1, 0, 0])), 0, "second byte not zero: not an mlink header")
        XCTAssertEqual(type(ipv4Frame(payload: [0x45, 0, 0, 0])), 0)
        XCTAssertEqual(type(ipv4Frame(payload: [4, 0, 0, 0], protocolNumber: 6)), 0, "TCP")
        XCTAssertEqual(type(ipv4Frame(payload: [4, 0, 0, 0], fragmentOffset: 185)), 0, "a later fragment")
        var arp = ipv4Frame(payload: [4, 0, 0, 0])
        arp[12] = 0x08; arp[13] = 0x06
        XCTAssertEqual(type(arp), 0)
        XCTAssertEqual(type([UInt8](repeating: 0, count: 10)), 0, "a runt")
        var wireGuard = ipv4Frame(payload: [4, 0, 0, 0])
        wireGuard[14 + 20 + 2] = 0xca; wireGuard[14 + 20 + 3] = 0x6c  // destination port 51820
        XCTAssertEqual(type(wireGuard), 0, "WireGuard on its port")
    }

    func testTallyAddsFrameBytesPerType() {
        var tally = WireTally()
        let data = ipv4Frame(payload: [4, 0, 0, 0]), probe = ipv4Frame(payload: [5, 0, 0, 0])
        for frame in [data, data, probe] { frame.withUnsafeBytes { tally.count(frame: $0.baseAddress!, length: $0.count) } }
        XCTAssertEqual(tally.frames[4], 2)
        XCTAssertEqual(tally.bytes[4], 2 * data.count)
        XCTAssertEqual(tally.bytes[5], probe.count)
        XCTAssertEqual(tally.bytes[0], 0)
    }
}
