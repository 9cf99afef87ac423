import XCTest
import MLinkTestSupport
@testable import MLinkProtocol

/// Copies of one packet that share its sealed body (`OutboundBatch.sharedBodies`, the daemon's batch) are, once
/// gathered, byte for byte the datagrams the contiguous batch builds, and the router takes them alike.
final class SharedBodyTests: XCTestCase {
    /// Seals the same 20 packets (in place, 3 lengths) through two deterministic pairs over 2 links and returns each
    /// pair's gathered datagrams, the batch's part lengths and what the router delivered.
    private func run(sharedBodies: Bool) -> (datagrams: [[UInt8]], heads: [Int], bodies: Int, delivered: Int, duplicates: UInt64) {
        let pair = EnginePair(links: 2, sharedBodies: sharedBodies)
        let packets = PacketBatch(capacity: 32, packetCapacity: 1500)
        for i in 0..<20 {
            let length = [60, 700, 1400][i % 3]
            EnginePair.writeIPv4(into: packets.payload(at: packets.count), length: length)
            packets.payload(at: packets.count).storeBytes(of: UInt8(i), toByteOffset: length - 1, as: UInt8.self)
            packets.append(length: length)
        }
        XCTAssertEqual(pair.host.encapsulate(packets, into: pair.out, now: pair.now), 20)
        var datagrams: [[UInt8]] = [], heads: [Int] = [], bodies = 0
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
        defer { scratch.deallocate() }
        for i in 0..<pair.out.count {
            pair.out.copyDatagram(at: i, to: scratch)
            datagrams.append([UInt8](UnsafeRawBufferPointer(start: scratch, count: pair.out.length(at: i))))
            heads.append(pair.out.headLength(at: i))
            if pair.out.body(at: i) != nil { bodies += 1 }
        }
        let before = pair.router.peers[0].counters.duplicates
        let delivered = pair.deliverFromHost()
        return (datagrams, heads, bodies, delivered, pair.router.peers[0].counters.duplicates - before)
    }

    func testSharedBodyCopiesEqualContiguousCopies() {
        let contiguous = run(sharedBodies: false), shared = run(sharedBodies: true)
        XCTAssertEqual(contiguous.datagrams.count, 40)
        // Which link takes a packet's first copy may differ between the two pairs (equal paths): compare the pairs
        // of copies of each packet, in order of path id.
        func byPath(_ list: [[UInt8]]) -> [[UInt8]] {
            stride(from: 0, to: list.count, by: 2).flatMap { k in [list[k], list[k + 1]].sorted { $0[2] < $1[2] } }
        }
        XCTAssertEqual(shared.datagrams.count, contiguous.datagrams.count)
        for (k, (a, b)) in zip(byPath(shared.datagrams), byPath(contiguous.datagrams)).enumerated() where a != b {
            let at = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            XCTFail("datagram \(k) differs at byte \(at) (lengths \(a.count), \(b.count))")
        }
        // Contiguous: every datagram is one part. Shared: the second copy of each packet is a 28-byte header.
        XCTAssertEqual(contiguous.bodies, 0)
        XCTAssertEqual(contiguous.heads, contiguous.datagrams.map(\.count))
        XCTAssertEqual(shared.bodies, 20)
        XCTAssertEqual(shared.heads.filter { $0 == WireFormat.transportHeaderSize }.count, 20)
        // The two copies of a packet differ in path id, path sequence and copy tag only (bytes 2-3, 16-27).
        for k in stride(from: 0, to: 40, by: 2) {
            let a = shared.datagrams[k], b = shared.datagrams[k + 1]
            XCTAssertEqual(a.count, b.count)
            XCTAssertEqual(Array(a[28...]), Array(b[28...]))
            XCTAssertNotEqual(Array(a[20..<28]), Array(b[20..<28]))
        }
        XCTAssertEqual(shared.delivered, 20)
        XCTAssertEqual(shared.duplicates, 20)
        XCTAssertEqual(contiguous.delivered, 20)
    }
}
