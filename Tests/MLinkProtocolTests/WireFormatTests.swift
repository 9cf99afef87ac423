import XCTest
@testable import MLinkProtocol

/// The transport header and the sizes docs/PROTOCOL.md specifies.
final class WireFormatTests: XCTestCase {
    private func written(_ header: TransportHeader, length: Int = 44) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xaa, count: length)
        bytes.withUnsafeMutableBytes { header.write(to: $0.baseAddress!) }
        return bytes
    }

    private func read(_ bytes: [UInt8], length: Int? = nil) -> TransportHeader? {
        bytes.withUnsafeBytes { TransportHeader.read(from: $0.baseAddress!, length: length ?? bytes.count) }
    }

    func testRoundTrip() {
        for type in [WireFormat.MessageType.data, .probe, .control] {
            let header = TransportHeader(type: type, pathID: 0xbeef, receiverIndex: 0xdead_cafe,
                                         counter: 0x0123_4567_89ab_cdef, pathSequence: 0xfeed_f00d)
            XCTAssertEqual(read(written(header)), header)
        }
    }

    func testExactByteLayoutIsLittleEndian() {
        let header = TransportHeader(type: .data, pathID: 0x0102, receiverIndex: 0x0304_0506,
                                     counter: 0x0708_090a_0b0c_0d0e, pathSequence: 0x0f10_1112)
        let bytes = written(header)
        XCTAssertEqual(Array(bytes[0..<28]), [
            4, 0,                                            // type, reserved
            0x02, 0x01,                                      // path id
            0x06, 0x05, 0x04, 0x03,                          // receiver index
            0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07,  // counter
            0x12, 0x11, 0x10, 0x0f,                          // path sequence
            0, 0, 0, 0, 0, 0, 0, 0,                          // copy tag (written by sealing)
        ])
        XCTAssertEqual(Array(bytes[28...]), [UInt8](repeating: 0xaa, count: 16), "write touches only 28 bytes")
    }

    func testMessageTypeValues() {
        XCTAssertEqual(WireFormat.MessageType.initiation.rawValue, 1)
        XCTAssertEqual(WireFormat.MessageType.response.rawValue, 2)
        XCTAssertEqual(WireFormat.MessageType.data.rawValue, 4)
        XCTAssertEqual(WireFormat.MessageType.probe.rawValue, 5)
        XCTAssertEqual(WireFormat.MessageType.control.rawValue, 6)
        XCTAssertEqual(WireFormat.MessageType.parity.rawValue, 7)
        XCTAssertNil(WireFormat.MessageType(rawValue: 0))
        XCTAssertNil(WireFormat.MessageType(rawValue: 3))
        XCTAssertNil(WireFormat.MessageType(rawValue: 8))
    }

    func testSizesAndOverhead() {
        XCTAssertEqual(WireFormat.transportHeaderSize, 28)
        XCTAssertEqual(WireFormat.copyTagOffset, 20)
        XCTAssertEqual(WireFormat.tagSize, 16)
        XCTAssertEqual(WireFormat.transportOverhead, 44)
        XCTAssertEqual(WireFormat.initiationSize, 132)
        XCTAssertEqual(WireFormat.responseSize, 60)
        XCTAssertLessThan(WireFormat.responseSize, WireFormat.initiationSize, "a response never amplifies")
        XCTAssertEqual(WireFormat.probePayloadSize, 24)
        XCTAssertEqual(WireFormat.outerOverhead(ipv6: false), 72)
        XCTAssertEqual(WireFormat.outerOverhead(ipv6: true), 92)
        XCTAssertEqual(1500 - WireFormat.outerOverhead(ipv6: false), 1428)
    }

    func testTooShortIsRejected() {
        let bytes = written(TransportHeader(type: .data, pathID: 1, receiverIndex: 2, counter: 3, pathSequence: 4))
        XCTAssertNotNil(read(bytes, length: 44), "header + tag, empty payload")
        for length in 0..<44 {
            XCTAssertNil(read(bytes, length: length), "length \(length)")
        }
    }

    func testNonTransportTypesAreRejected() {
        var bytes = written(TransportHeader(type: .data, pathID: 1, receiverIndex: 2, counter: 3, pathSequence: 4))
        for type in [0, 1, 2, 3, 8, 0x44, 0xff] as [UInt8] {
            bytes[0] = type
            XCTAssertNil(read(bytes), "type \(type)")
        }
    }

    func testNonZeroReservedByteIsRejected() {
        var bytes = written(TransportHeader(type: .probe, pathID: 1, receiverIndex: 2, counter: 3, pathSequence: 4))
        bytes[1] = 1
        XCTAssertNil(read(bytes))
    }

    func testReadIsUnalignedSafe() {
        let header = TransportHeader(type: .control, pathID: 0x0a0b, receiverIndex: 77, counter: .max, pathSequence: .max)
        var bytes = [UInt8](repeating: 0, count: 47)
        bytes.withUnsafeMutableBytes { header.write(to: $0.baseAddress! + 3) }
        let decoded = bytes.withUnsafeBytes { TransportHeader.read(from: $0.baseAddress! + 3, length: 44) }
        XCTAssertEqual(decoded, header)
    }
}
