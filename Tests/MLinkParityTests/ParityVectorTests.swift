import Foundation
import MLinkParity
import XCTest

/// The ISA-L coding against vectors made by an independent implementation written from docs/PROTOCOL.md section
/// 15 alone (Fixtures/parity-vectors.py: GF(2^8) arithmetic in plain Python).
final class ParityVectorTests: XCTestCase {
    private struct Vector: Decodable {
        var k: Int, m: Int, packets: [String], shard_length: Int, parity: [String]
    }

    private func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    func testParityMatchesTheIndependentImplementation() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/parity-vectors.json")
        let vectors = try JSONDecoder().decode([Vector].self, from: Data(contentsOf: path))
        XCTAssertEqual(vectors.count, 6)
        XCTAssertEqual(vectors[0].parity, ["7b00db018f", "8f0005f501"], "the PROTOCOL.md example")
        for vector in vectors {
            let block = ErasureBlock(k: vector.k, m: vector.m, maximumPacket: 1400)
            for (i, packet) in vector.packets.enumerated() {
                let b = bytes(packet)
                b.withUnsafeBytes { block.setData(i, $0.baseAddress!, length: b.count) }
            }
            block.encode()
            XCTAssertEqual(block.codedLength, vector.shard_length)
            for j in 0..<vector.m {
                XCTAssertEqual(Array(block.parity(j)), bytes(vector.parity[j]), "k=\(vector.k) m=\(vector.m) shard \(j)")
            }
        }
    }
}
