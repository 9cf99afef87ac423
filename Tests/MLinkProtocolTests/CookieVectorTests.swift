import Foundation
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Wire format 4's cookies (docs/PROTOCOL.md section 5.2) against vectors made by an independent implementation
/// written from the document alone (Fixtures/cookie-v4-vectors.py: its own HChaCha20, checked against the
/// XChaCha draft's vector, `cryptography`'s ChaCha20-Poly1305 and hashlib's BLAKE2b).
final class CookieVectorTests: XCTestCase {
    private struct Vectors: Decodable {
        struct Vector: Decodable {
            var router_public_key: String, secret: String, source: String, port: UInt16, cookie: String
            var cookie_key: String, initiation_without_mac2: String, mac2: String, nonce: String, reply: String
        }
        var vectors: [Vector]
    }

    private func load() throws -> [Vectors.Vector] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/cookie-v4-vectors.json")
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: path)).vectors
    }

    func testCookiesMAC2AndRepliesMatchTheIndependentImplementation() throws {
        let vectors = try load()
        XCTAssertEqual(vectors.count, 3)
        for (n, vector) in vectors.enumerated() {
            let routerPublic = try XCTUnwrap(Key32(bytes: hex(vector.router_public_key)))
            let key = CookieMessages.cookieKey(responder: routerPublic)
            XCTAssertEqual(key.bytes, hex(vector.cookie_key), "cookie key \(n)")
            let source = SocketAddress(address: try XCTUnwrap(IPAddress(vector.source)), port: vector.port)
            let cookie = CookieMessages.cookie(secret: try XCTUnwrap(Key32(bytes: hex(vector.secret))), source: source)
            XCTAssertEqual(cookie.withBytes { Array(UnsafeRawBufferPointer(start: $0, count: 16)) }, hex(vector.cookie),
                           "cookie \(n)")
            var initiation = hex(vector.initiation_without_mac2) + [UInt8](repeating: 0, count: 16)
            XCTAssertEqual(initiation.count, WireFormat.initiationSize)
            initiation.withUnsafeBytes {
                XCTAssertTrue(HandshakeMessages.hasValidMAC1($0.baseAddress!, key: HandshakeMessages.mac1Key(responder: routerPublic)))
                XCTAssertFalse(CookieMessages.hasValidMAC2($0.baseAddress!, cookie: cookie), "zero mac2 \(n)")
            }
            initiation.withUnsafeMutableBytes { CookieMessages.writeMAC2($0.baseAddress!, cookie: cookie) }
            XCTAssertEqual(Array(initiation[132..<148]), hex(vector.mac2), "mac2 \(n)")
            initiation.withUnsafeBytes { XCTAssertTrue(CookieMessages.hasValidMAC2($0.baseAddress!, cookie: cookie)) }
            var reply = [UInt8](repeating: 0, count: CookieMessages.replySize)
            let nonce = hex(vector.nonce)
            reply.withUnsafeMutableBytes { out in
                nonce.withUnsafeBytes { nb in
                    initiation.withUnsafeBytes {
                        CookieMessages.writeReply(into: out.baseAddress!, pathID: 0x0100, cookie: cookie, key: key,
                                                  nonce: nb.baseAddress!, initiation: $0.baseAddress!)
                    }
                }
            }
            XCTAssertEqual(reply, hex(vector.reply), "reply \(n)")
            let opened = reply.withUnsafeBytes { r in
                initiation.withUnsafeBytes { CookieMessages.openReply(r.baseAddress!, key: key, initiation: $0.baseAddress!, now: 5) }
            }
            XCTAssertEqual(opened, Cookie(reading: hex(vector.cookie), received: 5))
            // Bound to the initiation: another mac1 does not open it.
            var other = initiation
            other[120] ^= 1
            XCTAssertNil(reply.withUnsafeBytes { r in
                other.withUnsafeBytes { CookieMessages.openReply(r.baseAddress!, key: key, initiation: $0.baseAddress!, now: 5) }
            })
        }
    }
}

extension Cookie {
    init(reading bytes: [UInt8], received: UInt64) {
        self = bytes.withUnsafeBytes { Cookie(reading: $0.baseAddress!, received: received) }
    }
}
