import MLinkLeases
import MLinkTypes
import XCTest

/// LEASE_SYNC bodies against PROTOCOL.md §14.4's vectors, round trips and every malformed shape.
final class LeaseSyncTests: XCTestCase {
    private let key = Key32(bytes: Array(0..<32) as [UInt8])!
    private let keyHex = (0..<32).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    private let clock: UInt64 = 1_767_225_600

    private var changeVector: String {
        ["04030201", "00b9556900000000", "040a4d00401b", "0000", "0000", "01",
         "04", "0a4d0046", keyHex, "00", "00", "10c7556900000000", "00b9556900000000", "00a8da769b010000"].joined()
    }

    func testChangeVector() {
        let record = Binding(address: ip("10.77.0.70"), key: key, state: .bound, expires: 1_767_229_200,
                             created: clock, allocator: "", updated: 1_767_225_600_000)
        let message = LeaseSyncMessage(boot: 0x0102_0304, clock: clock, slice: net("10.77.0.64/27"), records: [record])
        XCTAssertEqual(hex(message.body), changeVector)
        XCTAssertEqual(message.body.count, 86)
        XCTAssertTrue(message.isChange)
        bytes(changeVector).withUnsafeBytes { XCTAssertEqual(LeaseSyncMessage(body: $0), message) }
    }

    func testTableVectors() {
        let empty = LeaseSyncMessage(boot: 0x0102_0304, clock: clock, slice: net("10.77.0.96/27"), part: 0, parts: 1,
                                     records: [])
        XCTAssertEqual(hex(empty.body), ["04030201", "00b9556900000000", "040a4d00601b", "0000", "0100", "00"].joined())
        XCTAssertEqual(empty.body.count, 23)
        let held = Binding(address: ip("10.77.0.100"), key: key, state: .hold, expires: clock, created: clock,
                           allocator: "", updated: 1_767_225_600_500, provisional: true)
        let part = LeaseSyncMessage(boot: 0x0102_0304, clock: clock, slice: net("10.77.0.96/27"), part: 1, parts: 3,
                                    records: [held])
        let expected = ["04030201", "00b9556900000000", "040a4d00601b", "0100", "0300", "01",
                        "04", "0a4d0064", keyHex, "01", "01", "00b9556900000000", "00b9556900000000",
                        "f4a9da769b010000"].joined()
        XCTAssertEqual(hex(part.body), expected)
        for message in [empty, part] {
            message.body.withUnsafeBytes { XCTAssertEqual(LeaseSyncMessage(body: $0), message) }
        }
    }

    func testEighteenRecordsFitAndRoundTrip() {
        XCTAssertEqual(LeaseSyncMessage.recordsPerMessage(ipv6Slice: false), 18)
        var source = KeySource(state: 3)
        var records: [Binding] = []
        for index in 0..<18 {
            let n = UInt64(index)
            let address = IPAddress(ipv4: 0x0a4d_0040 + UInt32(index))
            records.append(Binding(address: address, key: source.key(), state: Binding.State.allCases[index % 3],
                                   expires: n * 7, created: n, allocator: "", updated: n * 1000 + 3,
                                   provisional: index % 2 == 0))
        }
        let message = LeaseSyncMessage(boot: 9, clock: 10, slice: net("10.77.0.64/27"), part: 4, parts: 5,
                                       records: records)
        XCTAssertEqual(message.body.count, 23 + 18 * 63)
        XCTAssertLessThanOrEqual(message.body.count, 1200)
        message.body.withUnsafeBytes { XCTAssertEqual(LeaseSyncMessage(body: $0), message) }
    }

    func testMalformedBodiesAreRejected() {
        let good = bytes(changeVector)
        func patched(_ offset: Int, _ value: UInt8) -> [UInt8] { var copy = good; copy[offset] = value; return copy }
        let cases: [([UInt8], String)] = [
            ([], "empty"), (Array(good.prefix(11)), "cut in the clock"), (Array(good.prefix(22)), "cut in the header"),
            (patched(12, 5), "slice family 5"), (patched(17, 33), "slice /33"), (patched(16, 0x41), "slice host bits"),
            (patched(18, 1), "change with part 1"), (patched(23, 5), "record family 5"),
            (patched(23 + 37, 3), "state 3"), (patched(23 + 38, 2), "flag bit 1"),
            (patched(22, 2), "count 2, one record"), (Array(good.dropLast()), "record cut short"),
            (good + [0], "a byte left over"),
        ]
        for (body, why) in cases {
            body.withUnsafeBytes { XCTAssertNil(LeaseSyncMessage(body: $0), why) }
        }
        // part >= parts in a table
        let table = bytes(["04030201", "00b9556900000000", "040a4d00601b", "0300", "0300", "00"].joined())
        table.withUnsafeBytes { XCTAssertNil(LeaseSyncMessage(body: $0), "part 3 of 3") }
    }
}
