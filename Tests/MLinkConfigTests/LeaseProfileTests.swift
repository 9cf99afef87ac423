import MLinkConfig
import MLinkTypes
import XCTest

/// `interface.address: auto`, `address-pool` and peers without allowed-ips, as loaded (issue 13).
final class LeaseProfileTests: XCTestCase {
    static let routerText = """
        name: vm1
        role: router
        private-key: YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c=
        interface: {name: ml-vm1, address: 10.77.0.1/24}
        address-pool: {prefix: 10.77.0.0/24, allocate: 10.77.0.16/28, exclude: [10.77.0.16/30], lease-time: 2h}
        peers:
          - name: vm0
            public-key: XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM=
          - name: vm2
            public-key: GCntwA0vr+JI2RC7/o3yQXX8ZfMu7kvVbGbTzDnAUhk=
            allowed-ips: [10.77.0.20/32]
          - name: vm3
            public-key: pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI=
            allowed-ips: [192.168.9.0/24]

        """

    func testAutoHostGetsThePlaceholderAddress() throws {
        let text = ProfileTexts.host.replacingOccurrences(of: "address: 10.77.0.10/24", with: "address: auto")
        let profile = try ProfileLoader.parse(text: text, path: "vm0.yaml", directory: ".")
        XCTAssertTrue(profile.interface.addressIsAuto)
        XCTAssertEqual(profile.interface.address, IPNetwork("10.77.0.1/32"))
        let quoted = ProfileTexts.host.replacingOccurrences(of: "address: 10.77.0.10/24", with: "address: 'auto'")
        XCTAssertThrowsError(try ProfileLoader.parse(text: quoted, path: "vm0.yaml", directory: "."),
                             "only the plain word auto")
        let fixed = try ProfileLoader.parse(text: ProfileTexts.host, path: "vm0.yaml", directory: ".")
        XCTAssertFalse(fixed.interface.addressIsAuto)
    }

    func testRouterPoolLoadsWithReservationsAndLeaseTakers() throws {
        let profile = try ProfileLoader.parse(text: Self.routerText, path: "vm1.yaml", directory: ".")
        let settings = try XCTUnwrap(profile.addressPool)
        XCTAssertEqual(settings.prefix, IPNetwork("10.77.0.0/24"))
        XCTAssertEqual(settings.allocate, IPNetwork("10.77.0.16/28"))
        XCTAssertEqual(settings.exclude, [IPNetwork("10.77.0.16/30")!])
        XCTAssertEqual(settings.leaseSeconds, 7200)
        XCTAssertEqual(settings.holdSeconds, 30 * 86_400)
        XCTAssertEqual(profile.peers[0].allowedIPs, [])
        let pool = try XCTUnwrap(profile.leasePool)
        XCTAssertEqual(pool.reservations, [profile.peers[1].publicKey: IPAddress("10.77.0.20")!])
        XCTAssertEqual(pool.assignableCount, 16 - 4 - 1, "exclude and the static .20 are not assignable")
        XCTAssertEqual(profile.leasePeerKeys, [profile.peers[0].publicKey, profile.peers[1].publicKey])
    }

    func testDurations() throws {
        for (text, seconds) in [("90", 90), ("90s", 90), ("30m", 1800), ("1h", 3600), ("7d", 604_800)] as [(String, UInt64)] {
            let changed = Self.routerText.replacingOccurrences(of: "lease-time: 2h", with: "lease-time: \(text)")
            let profile = try ProfileLoader.parse(text: changed, path: "vm1.yaml", directory: ".")
            XCTAssertEqual(profile.addressPool?.leaseSeconds, seconds, text)
        }
        for text in ["5", "h", "-1h", "31d", "1.5h"] {
            let changed = Self.routerText.replacingOccurrences(of: "lease-time: 2h", with: "lease-time: \(text)")
            XCTAssertThrowsError(try ProfileLoader.parse(text: changed, path: "vm1.yaml", directory: "."), text)
        }
    }
}
