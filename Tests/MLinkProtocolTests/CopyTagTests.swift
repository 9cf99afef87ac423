import XCTest
@testable import MLinkProtocol

/// The copy tag computed in place (header and AEAD tag apart, as a copy that shares a sealed body has them) equals
/// libsodium's SipHash-2-4 of the gathered 36 bytes; the transport vectors (TransportVectorTests) pin the bytes.
final class CopyTagTests: XCTestCase {
    func testInPlaceSipHashMatchesLibsodium() {
        var generator = SystemRandomNumberGenerator()
        let header = UnsafeMutableRawPointer.allocate(byteCount: 28, alignment: 8)
        let tag = UnsafeMutableRawPointer.allocate(byteCount: 17, alignment: 8)
        defer { header.deallocate(); tag.deallocate() }
        var differing = 0
        for round in 0..<2000 {
            for i in 0..<28 { header.storeBytes(of: UInt8.random(in: 0...255, using: &generator), toByteOffset: i, as: UInt8.self) }
            for i in 0..<17 { tag.storeBytes(of: UInt8.random(in: 0...255, using: &generator), toByteOffset: i, as: UInt8.self) }
            let key = Crypto.CopyKey(first: generator.next(), second: generator.next())
            // An unaligned tag half the time: the body of a copy lies wherever its packet was read.
            let at = UnsafeRawPointer(tag) + (round & 1)
            let fast = Crypto.copyTag(key: key, header: header, tag: at)
            XCTAssertEqual(fast, Crypto.copyTagReference(key: key, header: header, tag: at))
            // Bytes 20..27 (where the tag is written) are not part of the input.
            header.storeBytes(of: ~header.load(fromByteOffset: 20, as: UInt8.self), toByteOffset: 20, as: UInt8.self)
            XCTAssertEqual(Crypto.copyTag(key: key, header: header, tag: at), fast)
            // Every input byte counts: flip one of the 36.
            let flip = round % 36
            let target = flip < 20 ? header + flip : tag + (round & 1) + flip - 20
            target.storeBytes(of: target.load(as: UInt8.self) ^ 0x01, as: UInt8.self)
            if Crypto.copyTag(key: key, header: header, tag: at) != fast { differing += 1 }
        }
        XCTAssertEqual(differing, 2000)
    }
}
