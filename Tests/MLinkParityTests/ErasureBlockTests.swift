import MLinkParity
import MLinkTypes
import XCTest

extension SplitMix64 {
    mutating func belowLimit(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

final class ErasureBlockTests: XCTestCase {
    /// Packets of random sizes through encode, any loss pattern of at most m shards (data or parity), recovery on
    /// a separate receiver block: every packet back, byte for byte, with its length.
    private func roundTrips(k: Int, m: Int, blocks: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let sender = ErasureBlock(k: k, m: m, maximumPacket: 1400)
        let receiver = ErasureBlock(k: k, m: m, maximumPacket: 1400)
        for block in 0..<blocks {
            sender.reset()
            receiver.reset()
            var packets: [[UInt8]] = []
            for i in 0..<k {
                let packet = (0..<(1 + random.belowLimit(1400))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                packets.append(packet)
                packet.withUnsafeBytes { sender.setData(i, $0.baseAddress!, length: packet.count) }
            }
            sender.encode()
            // Lose `losses` distinct shards of the k + m.
            let losses = random.belowLimit(m + 1)
            var lost = Set<Int>()
            while lost.count < losses { lost.insert(random.belowLimit(k + m)) }
            for i in 0..<k where !lost.contains(i) {
                packets[i].withUnsafeBytes { receiver.setData(i, $0.baseAddress!, length: packets[i].count) }
            }
            for j in 0..<m where !lost.contains(k + j) {
                let parity = sender.parity(j)
                receiver.setParity(j, parity.baseAddress!, length: parity.count)
            }
            XCTAssertTrue(receiver.recover(), "k=\(k) m=\(m) block \(block) lost \(lost.sorted())")
            for i in 0..<k {
                XCTAssertEqual(Array(receiver.data(i)), packets[i], "k=\(k) m=\(m) block \(block) packet \(i) lost \(lost.sorted())")
            }
        }
    }

    func testXORRecoversAnySingleLoss() {
        for k in 1...8 { roundTrips(k: k, m: 1, blocks: 30, seed: UInt64(k)) }
    }

    func testReedSolomonRecoversAnyMLosses() {
        for (k, m) in [(2, 2), (2, 1), (3, 2), (4, 2), (5, 3), (8, 4), (10, 4), (16, 6)] {
            roundTrips(k: k, m: m, blocks: 40, seed: UInt64(100 * k + m))
        }
    }

    func testTwoOfThreeStripingSurvivesTheLossOfAnyOneLink() {
        // 2-of-3: two data shards and one parity, each on its own link; any one link cut loses one shard.
        for cut in 0..<3 {
            let sender = ErasureBlock(k: 2, m: 1, maximumPacket: 200)
            let a: [UInt8] = Array(repeating: 0xaa, count: 150), b: [UInt8] = Array(0..<100)
            a.withUnsafeBytes { sender.setData(0, $0.baseAddress!, length: a.count) }
            b.withUnsafeBytes { sender.setData(1, $0.baseAddress!, length: b.count) }
            sender.encode()
            let receiver = ErasureBlock(k: 2, m: 1, maximumPacket: 200)
            if cut != 0 { a.withUnsafeBytes { receiver.setData(0, $0.baseAddress!, length: a.count) } }
            if cut != 1 { b.withUnsafeBytes { receiver.setData(1, $0.baseAddress!, length: b.count) } }
            if cut != 2 { receiver.setParity(0, sender.parity(0).baseAddress!, length: sender.parity(0).count) }
            XCTAssertTrue(receiver.recover())
            XCTAssertEqual(Array(receiver.data(0)), a, "cut \(cut)")
            XCTAssertEqual(Array(receiver.data(1)), b, "cut \(cut)")
            XCTAssertEqual(sender.parity(0).count, 152, "parity is as long as the longest packet plus its length")
        }
    }

    func testTooManyLossesAreRefusedAndChangeNothing() {
        let sender = ErasureBlock(k: 4, m: 2, maximumPacket: 100)
        for i in 0..<4 { [UInt8](repeating: UInt8(i), count: 50).withUnsafeBytes { sender.setData(i, $0.baseAddress!, length: 50) } }
        sender.encode()
        let receiver = ErasureBlock(k: 4, m: 2, maximumPacket: 100)
        [UInt8](repeating: 0, count: 50).withUnsafeBytes { receiver.setData(0, $0.baseAddress!, length: 50) }
        receiver.setParity(0, sender.parity(0).baseAddress!, length: sender.parity(0).count)
        receiver.setParity(1, sender.parity(1).baseAddress!, length: sender.parity(1).count)
        XCTAssertFalse(receiver.recover(), "3 of 6 shards: below k = 4")
        XCTAssertEqual(receiver.missingData, 0b1110)
    }

    func testCachedDecodeTablesStayCorrectAcrossManyPatterns() {
        // More distinct loss patterns than the cache holds, reused in a different order.
        roundTrips(k: 6, m: 3, blocks: 300, seed: 77)
    }
}
