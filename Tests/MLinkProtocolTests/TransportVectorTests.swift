import Foundation
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Wire format 3's transport messages against vectors made by an independent implementation written from
/// docs/PROTOCOL.md alone (Fixtures/transport-v3-vectors.py: Python's ChaCha20-Poly1305, hashlib's BLAKE2b and
/// its own SipHash-2-4, checked against the SipHash paper's vector).
final class TransportVectorTests: XCTestCase {
    private struct Vectors: Decodable {
        struct Copy: Decodable { var path_id: UInt16; var path_sequence: UInt32 }
        struct Vector: Decodable {
            var key: String, type: UInt8, receiver_index: UInt32, counter: UInt64, payload: String
            var copies: [Copy], copy_key: String, datagrams: [String]
        }
        var vectors: [Vector]
    }

    private func bytes(_ text: String) -> [UInt8] { hex(text) }

    private func load() throws -> [Vectors.Vector] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/transport-v3-vectors.json")
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: path)).vectors
    }

    /// Sealing once and stamping each copy gives exactly the vectors' datagrams; each opens to the payload.
    func testSealingMatchesTheIndependentImplementation() throws {
        let vectors = try load()
        XCTAssertEqual(vectors.count, 4)
        for (n, vector) in vectors.enumerated() {
            let key = try XCTUnwrap(Key32(bytes: bytes(vector.key)))
            let session = Session(localIndex: 9, remoteIndex: vector.receiver_index, established: 0, maximumAge: 1,
                                  isInitiator: true, sendKey: key, receiveKey: key)
            XCTAssertEqual(withUnsafeBytes(of: session.sendCopyKey) { Array($0) }, bytes(vector.copy_key), "copy key \(n)")
            let payload = bytes(vector.payload)
            var sealed = [UInt8](repeating: 0, count: WireFormat.transportOverhead + payload.count)
            let type = try XCTUnwrap(WireFormat.MessageType(rawValue: vector.type))
            TransportHeader(type: type, pathID: vector.copies[0].path_id, receiverIndex: vector.receiver_index,
                            counter: vector.counter, pathSequence: vector.copies[0].path_sequence).write(toBytes: &sealed)
            sealed.replaceSubrange(28..<(28 + payload.count), with: payload)
            sealed.withUnsafeMutableBytes { session.seal(header: $0.baseAddress!, payloadLength: payload.count) }
            for (c, copy) in vector.copies.enumerated() {
                var datagram = sealed
                datagram.withUnsafeMutableBytes { raw in
                    LE.put(raw.baseAddress!, 2, copy.path_id)
                    LE.put(raw.baseAddress!, 16, copy.path_sequence)
                    session.stampCopy(raw.baseAddress!, payloadLength: payload.count)
                }
                XCTAssertEqual(datagram, bytes(vector.datagrams[c]), "vector \(n), copy \(c)")
                let opened = try XCTUnwrap(session.opened(bytes(vector.datagrams[c])), "vector \(n), copy \(c) opens")
                XCTAssertEqual(Array(opened[28..<(28 + payload.count)]), payload)
            }
        }
    }
}
