import MLinkTypes
import XCTest

final class Base64Tests: XCTestCase {
    /// RFC 4648 section 10.
    func testRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
                       "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
        }
        XCTAssertEqual(Base64.encode([0xfb, 0xff, 0xbf]), "+/+/")
        XCTAssertEqual(Base64.decode("+/+/"), [0xfb, 0xff, 0xbf])
    }

    func testRoundTripOfEveryLength() {
        var state: UInt64 = 0x1234_5678
        for length in 0...100 {
            let bytes = (0..<length).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            let text = Base64.encode(bytes)
            XCTAssertEqual(text.count, (length + 2) / 3 * 4)
            XCTAssertEqual(Base64.decode(text), bytes, "length \(length)")
        }
    }

    func testInvalidInput() {
        for text in ["Zg=", "Zg", "Z", "Z===", "====", "=Zg=", "Zm9v=", "Zm9v Zg==", "Zm9v\n", "Zm=v", "Zg==Zg==",
                     "Zm9*", "Zm9-", "Zm9_", "Zm9é", "Zg=a"] {
            XCTAssertNil(Base64.decode(text), "'\(text)'")
        }
    }
}

final class Key32Tests: XCTestCase {
    private let bytes: [UInt8] = (0..<32).map { UInt8($0 * 7 + 3) }

    func testBytesRoundTrip() throws {
        let key = try XCTUnwrap(Key32(bytes: bytes))
        XCTAssertEqual(key.bytes, bytes)
        key.withBytes { raw in
            XCTAssertEqual(raw.count, 32)
            XCTAssertEqual(Array(raw), bytes)
        }
        XCTAssertNil(Key32(bytes: Array(bytes.dropLast())))
        XCTAssertNil(Key32(bytes: bytes + [0]))
        XCTAssertEqual(Key32.zero.bytes, [UInt8](repeating: 0, count: 32))
    }

    func testBase64() throws {
        let key = try XCTUnwrap(Key32(bytes: bytes))
        XCTAssertEqual(key.base64.count, 44)
        XCTAssertTrue(key.base64.hasSuffix("="))
        XCTAssertEqual(key.base64, Base64.encode(bytes))
        XCTAssertEqual(Key32(base64: key.base64), key)
        XCTAssertEqual(Key32(base64: String(repeating: "A", count: 43) + "=")?.bytes, [UInt8](repeating: 0, count: 32))
        XCTAssertNil(Key32(base64: Base64.encode(Array(bytes.dropLast()))), "31 bytes")
        XCTAssertNil(Key32(base64: Base64.encode(bytes + [1])), "33 bytes")
        XCTAssertNil(Key32(base64: String(key.base64.dropLast())))
        XCTAssertNil(Key32(base64: ""))
    }

    func testDescriptionNeverShowsTheKey() throws {
        let key = try XCTUnwrap(Key32(bytes: bytes))
        XCTAssertFalse(key.description.contains(key.base64))
        XCTAssertFalse("\(key)".contains(String(key.base64.prefix(8))))
        XCTAssertFalse(String(reflecting: key).contains(key.base64))
    }

    func testEqualityAndHashingFollowTheBytes() throws {
        var other = bytes
        other[31] ^= 1
        let a = try XCTUnwrap(Key32(bytes: bytes)), b = try XCTUnwrap(Key32(bytes: other))
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, Key32(bytes: bytes))
        XCTAssertEqual(Set([a, b, Key32(bytes: bytes)!]).count, 2)
    }
}
