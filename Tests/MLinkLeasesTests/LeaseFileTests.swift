import MLinkLeases
import MLinkTypes
import XCTest

final class LeaseFileTests: XCTestCase {
    func testRoundTrip() {
        var source = KeySource(state: 20)
        let bindings = [
            Binding(address: ip("10.77.0.37"), key: source.key(), state: .bound, expires: 1_767_225_600,
                    created: 1_767_222_000, allocator: "r1"),
            Binding(address: ip("10.77.0.38"), key: source.key(), state: .hold, expires: 1, created: 0, allocator: "r2"),
            Binding(address: ip("10.77.0.39"), key: source.key(), state: .declined, expires: 9, created: 8,
                    allocator: "r1"),
        ]
        let text = LeaseFile.encode(bindings)
        XCTAssertTrue(text.hasPrefix("# mlink leases 1\n10.77.0.37 "))
        let (decoded, warnings) = LeaseFile.decode(text)
        XCTAssertEqual(decoded, bindings)
        XCTAssertEqual(warnings, [])
    }

    func testDamagedLinesAreWarnedAndSkipped() {
        let key = someKey(21).base64
        let text = """
        # mlink leases 1
        10.77.0.37 \(key) bound 100 50 r1
        10.77.0.300 \(key) bound 100 50 r1
        10.77.0.38 notakey bound 100 50 r1
        10.77.0.39 \(key) lost 100 50 r1
        10.77.0.40 \(key) bound soon 50 r1
        10.77.0.41 \(key) bound 100
        10.77.0.37 \(key) hold 100 50 r1
        # a comment

        10.77.0.42 \(key) hold 100 50 r1
        """
        let (decoded, warnings) = LeaseFile.decode(text)
        XCTAssertEqual(decoded.map { $0.address }, [ip("10.77.0.37"), ip("10.77.0.42")])
        XCTAssertEqual(warnings.map { $0.line }, [3, 4, 5, 6, 7, 8])
        XCTAssertEqual(warnings[0].problem, "'10.77.0.300' is not an IPv4 address; skipped")
        XCTAssertEqual(warnings[5].problem, "10.77.0.37 is listed twice; skipped")
    }

    func testOtherVersionIsRefusedWhole() {
        let (decoded, warnings) = LeaseFile.decode("# mlink leases 2\n10.77.0.37 x bound 1 1 r1\n")
        XCTAssertEqual(decoded, [])
        XCTAssertEqual(warnings, [LeaseFile.Warning(line: 1, problem: "not a version-1 lease file (version '2'); ignored")])
        XCTAssertEqual(LeaseFile.decode("").bindings, [])
    }

    func testHostLeaseFileRoundTripAndDamage() {
        let lease = HostLease(address: net("10.77.0.37/24"), obtained: 100, renewAt: 1900, rebindAt: 3250,
                              expires: 3700, router: someKey(22))
        XCTAssertEqual(try HostLease.decode(lease.fileText).get(), lease)
        XCTAssertThrowsError(try HostLease.decode("# mlink lease 1\naddress 10.77.0.37/24\n").get())
        let disordered = lease.fileText.replacingOccurrences(of: "renew 1900", with: "renew 4000")
        XCTAssertThrowsError(try HostLease.decode(disordered).get())
        XCTAssertThrowsError(try HostLease.decode("garbage").get())
    }
}
