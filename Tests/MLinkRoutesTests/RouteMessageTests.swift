import MLinkRoutes
import MLinkTypes
import XCTest

/// The vectors of docs/PROTOCOL.md §14.2, round trips and malformed bodies.
final class RouteMessageTests: XCTestCase {
    func testAnnounceVectorFromTheProtocolDocument() {
        let items = [RoutePrefixItem(prefix: net("192.168.50.0/24"), preference: 100),
                     RoutePrefixItem(prefix: net("10.50.1.0/24"), preference: 10, flags: RoutePrefixItem.whileRouteFlag)]
        let body = RouteAnnounce.encode(generation: 7, items: items)
        XCTAssertEqual(hexString(body), hexString(hex("07000000 0200 04c0a83200186400 040a320100180a01")))
        XCTAssertEqual(body.count, 22)
        body.withUnsafeBytes { raw in
            guard let message = RouteAnnounce(body: raw) else { return XCTFail("vector did not parse") }
            XCTAssertEqual(message.generation, 7)
            XCTAssertEqual(Array(message.items), items)
        }
    }

    func testIPv6AnnounceVector() {
        let item = RoutePrefixItem(prefix: net("fd00:50::/64"), preference: 100)
        let body = RouteAnnounce.encode(generation: 7, items: [item])
        XCTAssertEqual(hexString(body), hexString(hex("07000000 0100 06fd000050000000000000000000000000406400")))
        body.withUnsafeBytes { raw in XCTAssertEqual(RouteAnnounce(body: raw).map { Array($0.items) }, [item]) }
    }

    func testAnnounceKeepsHostBitsForTheVerdict() {
        let body = RouteAnnounce.encode(generation: 1, items: [RoutePrefixItem(prefix: net("192.168.50.1/24"))])
        body.withUnsafeBytes { raw in
            XCTAssertEqual(RouteAnnounce(body: raw).map { Array($0.items).map(\.prefix) }, [net("192.168.50.1/24")])
        }
    }

    func testStatusVector() {
        let body = RouteStatus.encode(generation: 7, verdicts: [.active, .notAllowed])
        XCTAssertEqual(body, hex("07000000 0200 00 02"))
        body.withUnsafeBytes { raw in
            guard let status = RouteStatus(body: raw) else { return XCTFail("vector did not parse") }
            XCTAssertEqual(status.generation, 7)
            XCTAssertEqual(status.count, 2)
            XCTAssertEqual([status.verdict(at: 0), status.verdict(at: 1)], [0, 2])
        }
        XCTAssertEqual(RouteVerdict.name(ofWireValue: 2), "not-allowed")
        XCTAssertEqual(RouteVerdict.name(ofWireValue: 42), "verdict 42")
    }

    func testTableVectors() {
        let pushed = RoutePrefixItem(prefix: net("172.16.0.0/16"), preference: 0, flags: RoutePrefixItem.pushedFlag)
        XCTAssertEqual(RouteTablePart.encode(generation: 0x0102_0304, items: [pushed]),
                       [hex("04030201 0000 0100 0100 04ac100000100001")])
        XCTAssertEqual(RouteTablePart.encode(generation: 9, items: []), [hex("09000000 0000 0100 0000")])
        hex("04030201 0000 0100 0100 04ac100000100001").withUnsafeBytes { raw in
            guard let part = RouteTablePart(body: raw) else { return XCTFail("vector did not parse") }
            XCTAssertEqual(part.generation, 0x0102_0304)
            XCTAssertEqual(part.part, 0)
            XCTAssertEqual(part.parts, 1)
            XCTAssertEqual(Array(part.items), [pushed])
        }
    }

    func testPreferredVector() {
        XCTAssertEqual(PreferredRouter.encode(isPreferred: true), [1])
        [UInt8(1)].withUnsafeBytes { XCTAssertEqual(PreferredRouter(body: $0)?.isPreferred, true) }
        [UInt8(0)].withUnsafeBytes { XCTAssertEqual(PreferredRouter(body: $0)?.isPreferred, false) }
        [UInt8(2)].withUnsafeBytes { XCTAssertNil(PreferredRouter(body: $0)) }
        [UInt8]().withUnsafeBytes { XCTAssertNil(PreferredRouter(body: $0)) }
        [UInt8(1), 0].withUnsafeBytes { XCTAssertNil(PreferredRouter(body: $0)) }
    }

    func testMalformedBodiesAreRefused() {
        let announces = ["07000000 0100 05c0a83200186400",       // family 5
                         "07000000 0100 04c0a83200216400",       // /33
                         "07000000 0200 04c0a83200186400",       // count 2, one item
                         "07000000 0000 00",                     // a trailing byte
                         "07000000 0100 04c0a832",               // a cut item
                         "070000",                               // shorter than the fixed part
                         "07000000 0100 06 fd000050000000000000000000000000 81 64 00"]  // IPv6 /129
        for text in announces {
            hex(text).withUnsafeBytes { XCTAssertNil(RouteAnnounce(body: $0), text) }
        }
        let tables = ["09000000 0100 0000 0000",                 // part 1 of 0
                      "09000000 0200 0200 0000",                 // part 2 of 2
                      "09000000 0000 0100 0100 04ac100001100001", // host bits in a table item
                      "09000000 0000 0100 0200 04ac100000100001"] // count 2, one item
        for text in tables {
            hex(text).withUnsafeBytes { XCTAssertNil(RouteTablePart(body: $0), text) }
        }
        for text in ["07000000 0200 00", "07000000 0100 0000", "0700"] {
            hex(text).withUnsafeBytes { XCTAssertNil(RouteStatus(body: $0), text) }
        }
        let oversized = [UInt8](repeating: 0, count: 1201)
        oversized.withUnsafeBytes { XCTAssertNil(RouteAnnounce(body: $0)); XCTAssertNil(RouteTablePart(body: $0)) }
    }

    func testEveryTruncationOfAValidBodyIsRefused() {
        let body = RouteAnnounce.encode(generation: 3, items: [RoutePrefixItem(prefix: net("192.168.50.0/24")),
                                                              RoutePrefixItem(prefix: net("fd00:1::/48"))])
        for length in 0..<body.count {
            Array(body[0..<length]).withUnsafeBytes { XCTAssertNil(RouteAnnounce(body: $0), "length \(length)") }
        }
    }

    func testLargeTablesAreSplitIntoPartsThatReassemble() {
        let items = (0..<200).map { RoutePrefixItem(prefix: net("fd00:\(String($0, radix: 16))::/64"), preference: 5) }
        let bodies = RouteTablePart.encode(generation: 40, items: items)
        XCTAssertEqual(bodies.count, 4)  // 59 IPv6 items per part
        XCTAssertTrue(bodies.allSatisfy { $0.count <= RouteMessages.maximumBodySize })
        var assembler = RouteTableAssembler()
        var result: [RoutePrefixItem]?
        for body in bodies.reversed() {
            XCTAssertNil(result, "complete before the last part")
            body.withUnsafeBytes { raw in result = assembler.add(RouteTablePart(body: raw)!) }
        }
        XCTAssertEqual(result, items)
        // The same generation again (a retransmission) is not applied twice; an older one never.
        bodies[0].withUnsafeBytes { XCTAssertNil(assembler.add(RouteTablePart(body: $0)!)) }
        RouteTablePart.encode(generation: 39, items: []).first!.withUnsafeBytes {
            XCTAssertNil(assembler.add(RouteTablePart(body: $0)!))
        }
        RouteTablePart.encode(generation: 41, items: []).first!.withUnsafeBytes {
            XCTAssertEqual(assembler.add(RouteTablePart(body: $0)!), [])
        }
    }

    func testANewerGenerationDiscardsAnIncompleteOlderOne() {
        let items = (0..<100).map { RoutePrefixItem(prefix: net("fd00:\(String($0, radix: 16))::/64")) }
        let old = RouteTablePart.encode(generation: 5, items: items)
        let new = RouteTablePart.encode(generation: 6, items: Array(items.prefix(3)))
        var assembler = RouteTableAssembler()
        old[0].withUnsafeBytes { XCTAssertNil(assembler.add(RouteTablePart(body: $0)!)) }
        new[0].withUnsafeBytes { XCTAssertEqual(assembler.add(RouteTablePart(body: $0)!)?.count, 3) }
        old[1].withUnsafeBytes { XCTAssertNil(assembler.add(RouteTablePart(body: $0)!)) }
    }

    func testGenerationsCompareAcrossTheWrap() {
        XCTAssertTrue(SerialGeneration.isNewer(1, than: UInt32.max))
        XCTAssertFalse(SerialGeneration.isNewer(UInt32.max, than: 1))
        XCTAssertFalse(SerialGeneration.isNewer(5, than: 5))
        var gate = GenerationGate()
        XCTAssertTrue(gate.admit(100))
        XCTAssertFalse(gate.admit(99))
        XCTAssertFalse(gate.admit(100))
        XCTAssertTrue(gate.admit(101))
        gate.reset()
        XCTAssertTrue(gate.admit(3))
    }
}
