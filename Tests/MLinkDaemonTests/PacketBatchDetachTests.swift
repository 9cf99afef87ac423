import MLinkProtocol
import XCTest
@testable import MLinkDaemon

/// A TSO super-packet read into the batch's next slot is taken out with `detachNext` (no copy) and cut into
/// segments in the same batch, as drainTun does: the segments must come out exactly as when cut from a separate
/// copy, also when the batch fills, is emptied and reuses the slot the super-packet was read into.
final class PacketBatchDetachTests: XCTestCase {
    private func superPacket(payload: Int) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: 40 + payload)
        p[0] = 0x45; p[2] = UInt8(p.count >> 8); p[3] = UInt8(p.count & 0xff); p[6] = 0x40; p[8] = 64; p[9] = 6
        p[12...15] = [10, 77, 0, 10]; p[16...19] = [10, 77, 0, 20]
        p[20] = 0x9c; p[21] = 0x40; p[22] = 0x14; p[23] = 0x51
        p[24...27] = [0, 0, 0x10, 0]
        p[32] = 0x50; p[33] = 0x18
        for i in 0..<payload { p[40 + i] = UInt8(truncatingIfNeeded: i * 13 + 5) }
        return p
    }

    /// Virtio header of a TCPv4 super-packet with segment size `mss`, checksum partial at 20 + 16.
    private func header(mss: Int) -> VirtioNetHeader {
        VirtioNetHeader(flags: VirtioNetHeader.needsChecksum, gsoType: VirtioNetHeader.gsoTCPv4, headerLength: 40,
                        gsoSize: UInt16(mss), checksumStart: 20, checksumOffset: 16)
    }

    /// Cuts `packet` at `source` into `batch`, emptying the batch whenever it is full; returns every segment.
    private func cut(_ source: UnsafeMutableRawPointer, length: Int, mss: Int, into batch: PacketBatch) throws -> [[UInt8]] {
        var segments: [[UInt8]] = []
        var next = 0
        while true {
            let (cutTo, total) = try XCTUnwrap(TunOffload.segment(source, length: length, header: header(mss: mss),
                                                                  from: next, into: batch))
            for i in 0..<batch.count {
                segments.append([UInt8](UnsafeRawBufferPointer(start: batch.payload(at: i), count: batch.length(at: i))))
            }
            batch.removeAll()
            next = cutTo
            if next >= total { return segments }
        }
    }

    func testSegmentsCutFromADetachedSlotMatchThoseCutFromACopy() throws {
        let packet = superPacket(payload: 9000), mss = 1000
        // Reference: cut from a buffer of its own.
        var copy = packet
        let expected = try copy.withUnsafeMutableBytes { try cut($0.baseAddress!, length: packet.count, mss: mss,
                                                                 into: PacketBatch(capacity: 3, packetCapacity: 9216)) }
        XCTAssertEqual(expected.count, 9)
        // As drainTun: two packets already in the batch, the super-packet read into the next slot, then detached.
        let batch = PacketBatch(capacity: 3, packetCapacity: 9216)
        batch.payload(at: 0).storeBytes(of: 0xaa, as: UInt8.self)
        batch.append(length: 1)
        batch.payload(at: 1).storeBytes(of: 0xbb, as: UInt8.self)
        batch.append(length: 1)
        let slot = batch.payload(at: batch.count)
        packet.withUnsafeBytes { slot.copyMemory(from: $0.baseAddress!, byteCount: packet.count) }
        let detached = batch.detachNext()
        XCTAssertEqual(detached, slot, "the detached packet stays where it was read")
        XCTAssertNotEqual(batch.payload(at: 2), slot, "the slot took another buffer")
        XCTAssertEqual(batch.count, 2, "detaching appends nothing")
        var segments = try cut(detached, length: packet.count, mss: mss, into: batch)
        // The first two entries are the packets that were already there; the rest are the segments.
        XCTAssertEqual(segments.removeFirst(), [0xaa])
        XCTAssertEqual(segments.removeFirst(), [0xbb])
        XCTAssertEqual(segments, expected)
        // The super-packet's bytes were never overwritten while it was cut (slots 0-2 were all reused).
        XCTAssertEqual([UInt8](UnsafeRawBufferPointer(start: detached + 40, count: 9000)), Array(packet[40...]))
    }

    func testTwoDetachesTradeTheSameTwoBuffers() {
        let batch = PacketBatch(capacity: 2, packetCapacity: 64)
        let first = batch.payload(at: 0)
        let taken = batch.detachNext()
        XCTAssertEqual(taken, first)
        let spare = batch.payload(at: 0)
        XCTAssertEqual(batch.detachNext(), spare)
        XCTAssertEqual(batch.payload(at: 0), first, "the first buffer is back in its slot")
    }
}
