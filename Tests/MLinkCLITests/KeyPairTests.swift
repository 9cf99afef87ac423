import MLinkProtocol
import MLinkTypes
import XCTest

/// The shipped key generation (`genkey`, `pubkey`): RFC 7748's vector, clamping, and base64 input.
final class KeyPairTests: XCTestCase {
    /// RFC 7748 section 6.1's Alice and Bob, written in base64 as profiles and `genkey` write keys.
    func testPublicKeyMatchesRFC7748SectionSix() throws {
        let alice = try KeyPair(privateKey: Key32(base64: "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=")!)
        XCTAssertEqual(alice.publicKey.base64, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=")
        let bob = try KeyPair(privateKeyBase64: "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=")
        XCTAssertEqual(bob.publicKey.base64, "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=")
    }

    func testGeneratedKeysAreClampedAndDistinct() throws {
        let pairs = try (0..<16).map { _ in try KeyPair.generate() }
        for pair in pairs {
            let key = pair.privateKey.bytes
            XCTAssertEqual(key[0] & 7, 0)
            XCTAssertEqual(key[31] & 0xc0, 0x40)
            XCTAssertEqual(try KeyPair(privateKey: pair.privateKey).publicKey, pair.publicKey)
        }
        XCTAssertEqual(Set(pairs.map(\.privateKey)).count, pairs.count)
        XCTAssertEqual(KeyPair.clamped(Key32(bytes: [UInt8](repeating: 0xff, count: 32))!).bytes,
                       [0xf8] + [UInt8](repeating: 0xff, count: 30) + [0x7f])
    }

    func testTextThatIsNotAKeyIsRefusedWithItsLength() {
        XCTAssertThrowsError(try KeyPair(privateKeyBase64: "c2hvcnQ=")) { error in
            XCTAssertEqual(error as? KeyPair.Failure, .notABase64Key(length: 8))
        }
    }
}
