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

    /// The transport AEAD split (verify, then decrypt) is RFC 8439's AEAD: checked against libsodium's own.
    func testTransportSealVerifyDecryptMatchTheAEAD() throws {
        let key = Key32(bytes: (0..<32).map { UInt8($0 &* 7 &+ 1) })!
        for payloadLength in [0, 1, 15, 16, 17, 100, 1400] {
            var message = [UInt8](repeating: 0, count: 24 + payloadLength + 16)
            for i in 0..<24 { message[i] = UInt8(i) }
            message.withUnsafeMutableBytes { raw in
                LE.put(raw.baseAddress!, 2, UInt16(0x0102))
                LE.put(raw.baseAddress!, 8, UInt64(0x1122_3344_5566))
            }
            let plaintext = (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 * 31) }
            message.replaceSubrange(24..<(24 + payloadLength), with: plaintext)
            let session = Session(localIndex: 1, remoteIndex: 2, established: 0, maximumAge: 1, isInitiator: true,
                                  sendKey: key, receiveKey: key)
            message.withUnsafeMutableBytes { session.seal(header: $0.baseAddress!, payloadLength: payloadLength) }
            // The same bytes from libsodium's one-shot AEAD with the documented nonce and associated data.
            var nonce = [UInt8](repeating: 0, count: 12)
            nonce[0] = 0x02; nonce[1] = 0x01
            nonce[4] = 0x66; nonce[5] = 0x55; nonce[6] = 0x44; nonce[7] = 0x33; nonce[8] = 0x22; nonce[9] = 0x11
            XCTAssertEqual(Array(message[24...]), referenceSeal(key: key, nonce: nonce, ad: Array(message[0..<24]),
                                                                plaintext: plaintext), "length \(payloadLength)")
            XCTAssertTrue(message.withUnsafeBytes { session.verify($0.baseAddress!, length: message.count) })
            var forged = message
            forged[forged.count - 1 - (payloadLength / 2)] ^= 0x80
            XCTAssertFalse(forged.withUnsafeBytes { session.verify($0.baseAddress!, length: forged.count) })
            var header = message
            header[3] ^= 1  // the path id is associated data (and part of the nonce)
            XCTAssertFalse(header.withUnsafeBytes { session.verify($0.baseAddress!, length: header.count) })
            let total = message.count
            message.withUnsafeMutableBytes { session.decrypt($0.baseAddress!, length: total) }
            XCTAssertEqual(Array(message[24..<(24 + payloadLength)]), plaintext)
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
