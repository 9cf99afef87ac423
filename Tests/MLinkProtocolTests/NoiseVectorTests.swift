import CSodium
import Foundation
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// The Noise implementation against the published cacophony vectors for Noise_IK and Noise_IKpsk2 over
/// 25519/ChaChaPoly/BLAKE2b (Fixtures/noise-vectors.json names its source): both handshake messages, the
/// handshake hash, and the transport messages that follow, in both directions.
final class NoiseVectorTests: XCTestCase {
    struct Vector {
        var name: String
        var fields: [String: Any]
        var messages: [(payload: [UInt8], ciphertext: [UInt8])]

        func bytes(_ key: String) -> [UInt8] { hex(fields[key] as! String) }
        func key(_ key: String) -> Key32 { Key32(bytes: bytes(key))! }
        var psk: Key32? {
            (fields["init_psks"] as? [String]).flatMap { $0.first }.map { Key32(bytes: hex($0))! }
        }
    }

    static func loadVectors() throws -> [Vector] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/noise-vectors.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as! [String: Any]
        return (json["vectors"] as! [[String: Any]]).map { entry in
            let messages = (entry["messages"] as! [[String: String]]).map { (hex($0["payload"]!), hex($0["ciphertext"]!)) }
            return Vector(name: entry["protocol_name"] as! String, fields: entry, messages: messages)
        }
    }

    func testPublishedVectors() throws {
        let vectors = try Self.loadVectors()
        XCTAssertEqual(Set(vectors.map(\.name)),
                       ["Noise_IK_25519_ChaChaPoly_BLAKE2b", "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b"])
        for vector in vectors {
            try check(vector)
        }
    }

    private func check(_ v: Vector) throws {
        XCTAssertEqual(NoiseHandshake.protocolName(preSharedKey: v.psk != nil), v.name)
        var initiator = NoiseHandshake(role: .initiator, prologue: v.bytes("init_prologue"),
                                       localStatic: v.key("init_static"), remoteStatic: v.key("init_remote_static"),
                                       preSharedKey: v.psk)
        var responder = NoiseHandshake(role: .responder, prologue: v.bytes("resp_prologue"),
                                       localStatic: v.key("resp_static"), remoteStatic: nil,
                                       preSharedKey: v.psk.map { _ in Key32.zero })
        let message1 = try XCTUnwrap(initiator.writeMessage1(ephemeral: v.key("init_ephemeral"), payload: v.messages[0].payload))
        XCTAssertEqual(hexString(message1), hexString(v.messages[0].ciphertext), "\(v.name) message 1")
        XCTAssertEqual(try XCTUnwrap(responder.readMessage1(message1)), v.messages[0].payload)
        XCTAssertEqual(responder.remoteStatic, Crypto.publicKey(for: v.key("init_static")), "the responder learns who calls")
        // Like the engine: the responder sets the psk only once it knows the caller.
        if let psk = v.psk { responder.preSharedKey = psk }
        let message2 = try XCTUnwrap(responder.writeMessage2(ephemeral: v.key("resp_ephemeral"), payload: v.messages[1].payload))
        XCTAssertEqual(hexString(message2), hexString(v.messages[1].ciphertext), "\(v.name) message 2")
        XCTAssertEqual(try XCTUnwrap(initiator.readMessage2(message2)), v.messages[1].payload)
        if let expected = v.fields["handshake_hash"] as? String {
            XCTAssertEqual(hexString(initiator.handshakeHash), expected, "\(v.name) handshake hash")
            XCTAssertEqual(hexString(responder.handshakeHash), expected)
        }
        let initiatorKeys = initiator.split(), responderKeys = responder.split()
        XCTAssertEqual(initiatorKeys.initiatorToResponder, responderKeys.initiatorToResponder)
        XCTAssertEqual(initiatorKeys.responderToInitiator, responderKeys.responderToInitiator)
        // Transport messages alternate, initiator first; each direction counts its own nonce from 0.
        var nonces: [UInt64] = [0, 0]
        for (i, message) in v.messages.enumerated().dropFirst(2) {
            let fromInitiator = i % 2 == 0
            let key = fromInitiator ? initiatorKeys.initiatorToResponder : initiatorKeys.responderToInitiator
            let n = nonces[fromInitiator ? 0 : 1]
            nonces[fromInitiator ? 0 : 1] += 1
            let sealed = Crypto.seal(key: key, nonce: n, associatedData: [], plaintext: message.payload)
            XCTAssertEqual(hexString(sealed), hexString(message.ciphertext), "\(v.name) transport message \(i + 1)")
            XCTAssertEqual(Crypto.open(key: key, nonce: n, associatedData: [], ciphertext: message.ciphertext), message.payload)
        }
    }

    /// A flipped bit anywhere in message 1 or 2 makes the other side refuse it.
    func testTamperedHandshakeMessagesAreRefused() throws {
        let v = try XCTUnwrap(Self.loadVectors().first { $0.psk != nil })
        for position in [0, 31, 32, 79, 80, v.messages[0].ciphertext.count - 1] {
            var responder = NoiseHandshake(role: .responder, prologue: v.bytes("resp_prologue"),
                                           localStatic: v.key("resp_static"), remoteStatic: nil, preSharedKey: .zero)
            var tampered = v.messages[0].ciphertext
            tampered[position] ^= 0x01
            XCTAssertNil(responder.readMessage1(tampered), "message 1 with byte \(position) flipped")
        }
        var initiator = NoiseHandshake(role: .initiator, prologue: v.bytes("init_prologue"),
                                       localStatic: v.key("init_static"), remoteStatic: v.key("init_remote_static"),
                                       preSharedKey: Key32(bytes: [UInt8](repeating: 7, count: 32)))
        _ = initiator.writeMessage1(ephemeral: v.key("init_ephemeral"), payload: v.messages[0].payload)
        XCTAssertNil(initiator.readMessage2(v.messages[1].ciphertext), "a different psk must not complete")
    }

    /// Wire format 3's transport sealing is RFC 8439's AEAD with the documented nonce and associated data (checked
    /// against libsodium's one-shot AEAD), and the copy tag is SipHash-2-4 of header bytes 0..19 and the AEAD tag
    /// under the documented copy key (checked against libsodium's own SipHash and BLAKE2b).
    func testTransportSealCopyTagAndOpenMatchTheSpecification() throws {
        let key = Key32(bytes: (0..<32).map { UInt8($0 &* 7 &+ 1) })!
        for payloadLength in [0, 1, 15, 16, 17, 100, 1400] {
            var message = [UInt8](repeating: 0, count: 28 + payloadLength + 16)
            TransportHeader(type: .data, pathID: 0x0102, receiverIndex: 0x0a0b_0c0d, counter: 0x1122_3344_5566,
                            pathSequence: 7).write(toBytes: &message)
            let plaintext = (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 * 31) }
            message.replaceSubrange(28..<(28 + payloadLength), with: plaintext)
            let session = Session(localIndex: 1, remoteIndex: 2, established: 0, maximumAge: 1, isInitiator: true,
                                  sendKey: key, receiveKey: key)
            message.withUnsafeMutableBytes { session.seal(header: $0.baseAddress!, payloadLength: payloadLength) }
            var nonce = [UInt8](repeating: 0, count: 12)
            nonce[4] = 0x66; nonce[5] = 0x55; nonce[6] = 0x44; nonce[7] = 0x33; nonce[8] = 0x22; nonce[9] = 0x11
            var ad = Array(message[0..<16])
            ad[2] = 0; ad[3] = 0  // the path id is not associated data: it differs per copy
            XCTAssertEqual(Array(message[28...]), referenceSeal(key: key, nonce: nonce, ad: ad, plaintext: plaintext),
                           "length \(payloadLength)")
            var copyKey = [UInt8](repeating: 0, count: 16)
            _ = crypto_generichash_blake2b(&copyKey, 16, Array("mlink copy tag".utf8), 14, key.bytes, 32)
            var expectedTag = [UInt8](repeating: 0, count: 8)
            _ = crypto_shorthash_siphash24(&expectedTag, Array(message[0..<20]) + Array(message[(message.count - 16)...]),
                                           36, copyKey)
            XCTAssertEqual(Array(message[20..<28]), expectedTag, "copy tag, length \(payloadLength)")
            XCTAssertEqual(session.opened(message).map { Array($0[28..<(28 + payloadLength)]) }, plaintext)

            // Another copy: path id and sequence rewritten, restamped; the body is the same bytes.
            var copy = message
            copy.withUnsafeMutableBytes { raw in
                LE.put(raw.baseAddress!, 2, UInt16(0x0201))
                LE.put(raw.baseAddress!, 16, UInt32(99))
                session.stampCopy(raw.baseAddress!, payloadLength: payloadLength)
            }
            XCTAssertEqual(Array(copy[28...]), Array(message[28...]), "one seal for every copy")
            XCTAssertNotNil(session.opened(copy))
            var unstamped = message
            unstamped[2] ^= 3  // a path id changed without the key
            XCTAssertFalse(unstamped.withUnsafeBytes { session.verifyCopy($0.baseAddress!, length: unstamped.count) })
            var body = message
            if payloadLength > 0 {
                body[28 + payloadLength / 2] ^= 0x80  // the copy tag still verifies, the body does not
                XCTAssertTrue(body.withUnsafeBytes { session.verifyCopy($0.baseAddress!, length: body.count) })
                XCTAssertNil(session.opened(body))
            }
            var tag = message
            tag[tag.count - 1] ^= 1
            XCTAssertFalse(tag.withUnsafeBytes { session.verifyCopy($0.baseAddress!, length: tag.count) }, "the AEAD tag is bound")
        }
    }

    private func referenceSeal(key: Key32, nonce: [UInt8], ad: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var outLength: UInt64 = 0
        let keyBytes = key.bytes
        _ = crypto_aead_chacha20poly1305_ietf_encrypt(&out, &outLength, plaintext, UInt64(plaintext.count), ad,
                                                      UInt64(ad.count), nil, nonce, keyBytes)
        return out
    }
}

func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
