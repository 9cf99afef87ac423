import XCTest
@testable import MLinkLab
import MLinkTypes

final class KeyPairTests: XCTestCase {
    /// RFC 7748 section 6.1, Alice's key pair.
    func testPublicKeyDerivationMatchesRFC7748() {
        let secret = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let pair = KeyPair(privateKey: Key32(bytes: secret)!)
        XCTAssertEqual(pair.publicKey.bytes, hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
    }

    func testGeneratedKeysAreClampedAndDistinct() {
        let a = KeyPair.generate(), b = KeyPair.generate()
        XCTAssertNotEqual(a.privateKey, b.privateKey)
        XCTAssertEqual(a.privateKey.bytes[0] & 7, 0)
        XCTAssertEqual(a.privateKey.bytes[31] & 0xc0, 0x40)
        XCTAssertEqual(KeyPair(privateKey: a.privateKey), a)
        XCTAssertEqual(a.publicKey.base64.count, 44)
    }

    private func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            out.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return out
    }
}
