import MLinkLeases
import MLinkTypes
import XCTest

/// The ADDRESS_* bodies against PROTOCOL.md §14.1's vectors, round trips, and every malformed shape.
final class LeaseMessageTests: XCTestCase {
    private func items(_ list: AddressItem...) -> AddressItems { AddressItems(list)! }
    private let lease37 = AddressItem(net("10.77.0.37/24"))

    func testRequestVectors() {
        let any = AddressRequest(items: items(.anyIPv4), isReboot: false)
        XCTAssertEqual(hex(any.body), "01040000000000")
        XCTAssertEqual(any.flags, 0)
        let reboot = AddressRequest(items: items(lease37), isReboot: true)
        XCTAssertEqual(hex(reboot.body), "01040a4d002518")
        XCTAssertEqual(reboot.flags, 1)
        bytes("01040a4d002518").withUnsafeBytes { body in
            XCTAssertEqual(AddressRequest(body: body, flags: 1), reboot)
            XCTAssertEqual(AddressRequest(body: body, flags: 0)?.isReboot, false)
        }
    }

    func testAssignVectors() {
        let grant = AddressAssign(answersSequence: 7, leaseSeconds: 3600, renewSeconds: 1800, rebindSeconds: 3150,
                                  reason: .granted, items: items(lease37))
        XCTAssertEqual(hex(grant.body), "07000000100e0000080700004e0c00000001040a4d002518")
        let refusal = AddressAssign.refusal(answering: 9, reason: .poolExhausted)
        XCTAssertEqual(hex(refusal.body), "0900000000000000000000000000000002" + "00")
        for message in [grant, refusal] {
            message.body.withUnsafeBytes { XCTAssertEqual(AddressAssign(body: $0), message) }
        }
    }

    func testReleaseAndDeclineVectors() {
        let release = AddressRelease(items: items(lease37))
        XCTAssertEqual(hex(release.body), "01040a4d002518")
        let decline = AddressDecline(item: lease37, reason: .inUseLocally)
        XCTAssertEqual(hex(decline.body), "040a4d00251801")
        release.body.withUnsafeBytes { XCTAssertEqual(AddressRelease(body: $0), release) }
        decline.body.withUnsafeBytes { XCTAssertEqual(AddressDecline(body: $0), decline) }
    }

    func testIPv6ItemsRoundTrip() {
        let v6 = AddressItem(net("fd77:1::25/64"))
        let request = AddressRequest(items: items(lease37, v6), isReboot: true)
        XCTAssertEqual(request.body.count, 1 + 6 + 18)
        request.body.withUnsafeBytes { XCTAssertEqual(AddressRequest(body: $0, flags: 1), request) }
        let assign = AddressAssign(answersSequence: 1, leaseSeconds: 60, renewSeconds: 30, rebindSeconds: 52,
                                   reason: .changed, items: items(v6, lease37))
        assign.body.withUnsafeBytes { XCTAssertEqual(AddressAssign(body: $0), assign) }
    }

    func testMalformedRequestsAreRejected() {
        let cases: [(String, String)] = [
            ("", "empty"), ("00", "count 0"), ("03040a4d002518", "count 3"),
            ("01050a4d002518", "family 5"), ("01040a4d0025", "item cut short"), ("01040a4d002521", "prefix /33"),
            ("01040a4d00251800", "a byte left over"), ("02040a4d002518040a4d002618", "two IPv4 items"),
            ("0206" + String(repeating: "00", count: 16) + "81", "prefix /129"),
        ]
        for (body, why) in cases {
            bytes(body).withUnsafeBytes { buffer in
                XCTAssertNil(AddressRequest(body: buffer, flags: 0), why)
                XCTAssertNil(AddressRelease(body: buffer), why)
            }
        }
    }

    func testMalformedAssignsAreRejected() {
        let good = "07000000100e0000080700004e0c0000"
        let cases: [(String, String)] = [
            (String(good.prefix(30)), "short fixed part"),
            (good + "0501040a4d002518", "reason 5"),
            (good + "0003040a4d002518", "count 3"),
            (good + "0001040a4d00251800", "a byte left over"),
            (good + "0000", "a grant without addresses"),
            (good + "0201040a4d002518", "a refusal with an address"),
            (good + "000104" + "00000000" + "00", "a grant of 'any'"),
            ("07000000100e0000000000004e0c0000" + "0001040a4d002518", "T1 = 0"),
            ("07000000100e0000080700004e0c1000" + "0001040a4d002518", "T2 beyond the lease"),
        ]
        for (body, why) in cases {
            bytes(body).withUnsafeBytes { XCTAssertNil(AddressAssign(body: $0), why) }
        }
    }

    func testMalformedDeclinesAreRejected() {
        for (body, why) in [("040a4d00251803", "reason 3"), ("040a4d002518", "no reason"),
                            ("040a4d0025180101", "a byte left over"), ("04000000000001", "declining 'any'")] {
            bytes(body).withUnsafeBytes { XCTAssertNil(AddressDecline(body: $0), why) }
        }
    }

    /// Every prefix of every good body and random bytes: never a crash, and no short prefix parses.
    func testTruncationsAndNoise() {
        let grant = AddressAssign(answersSequence: 7, leaseSeconds: 3600, renewSeconds: 1800, rebindSeconds: 3150,
                                  reason: .granted, items: items(lease37)).body
        for length in 0..<grant.count {
            Array(grant[0..<length]).withUnsafeBytes { XCTAssertNil(AddressAssign(body: $0)) }
        }
        var source = KeySource(state: 3)
        for _ in 0..<20_000 {
            let count = Int(source.next() % 60)
            let noise = (0..<count).map { _ in UInt8(truncatingIfNeeded: source.next()) }
            noise.withUnsafeBytes { body in
                // What parses encodes back to exactly the input: the layout has no slack.
                if let request = AddressRequest(body: body, flags: 0) { XCTAssertEqual(request.body, noise) }
                if let assign = AddressAssign(body: body) { XCTAssertEqual(assign.body, noise) }
                if let decline = AddressDecline(body: body) { XCTAssertEqual(decline.body, noise) }
            }
        }
    }
}
