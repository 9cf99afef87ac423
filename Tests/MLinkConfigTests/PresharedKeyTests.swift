import MLinkConfig
import MLinkTypes
import XCTest

/// `preshared-key` on both sides of a pair: optional, a base64 key, absent means nil (the engine then uses zeros).
final class PresharedKeyTests: XCTestCase {
    static let psk = "bWxpbmstcHJlc2hhcmVkLWtleS0zMi1ieXRlcy0wMDE="

    func testHostRouterBlockTakesAPresharedKey() throws {
        let text = ProfileTexts.host.replacingOccurrences(
            of: "  endpoints:", with: "  preshared-key: \(Self.psk)\n  endpoints:")
        let profile = try ProfileLoader.parse(text: text, path: "vm0.yaml", directory: "")
        XCTAssertEqual(profile.router?.presharedKey, Key32(base64: Self.psk))
        XCTAssertNil(try ProfileLoader.parse(text: ProfileTexts.host, path: "vm0.yaml", directory: "").router?.presharedKey)
    }

    func testRouterPeerTakesAPresharedKey() throws {
        let text = """
            name: vm1
            role: router
            private-key: \(ProfileTexts.hostPrivateKey)
            interface: {name: ml-vm1, address: 10.77.0.1/24}
            peers:
              - name: vm0
                public-key: \(ProfileTexts.routerPublicKey)
                preshared-key: \(Self.psk)
                allowed-ips: [10.77.0.10/32]

            """
        let profile = try ProfileLoader.parse(text: text, path: "vm1.yaml", directory: "")
        XCTAssertEqual(profile.peers.first?.presharedKey, Key32(base64: Self.psk))
    }
}
