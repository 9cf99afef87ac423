import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Malformed, truncated and mutated datagrams: never a crash, never a delivery they did not earn.
final class FuzzTests: XCTestCase {
    private func feed(_ engine: TunnelEngine, _ bytes: [UInt8], slot: Int, source: SocketAddress, now: UInt64)
        -> TunnelEngine.Verdict {
        var buffer = bytes.isEmpty ? [0] : bytes
        return buffer.withUnsafeMutableBytes {
            engine.receive($0.baseAddress!, length: bytes.count, slot: slot, source: source, now: now)
        }
    }

    /// Every drop an engine counts: global ones, and those blamed on a peer.
    private func totalDrops(_ engine: TunnelEngine) -> UInt64 {
        let blamed = engine.peers.map {
            $0.counters.duplicates + $0.counters.tooOld + $0.counters.sourceRejected + $0.counters.replayedHandshakes
        }
        return engine.globalDrops.total + blamed.reduce(0, +)
    }

    private func reachesTUN(_ verdict: TunnelEngine.Verdict) -> Bool {
        switch verdict {
        case .deliver, .forward: return true
        case .reply, .control, .recovered, .none: return false
        }
    }

    /// 10000 random byte strings to the router and to a host, biased towards valid types and real session
    /// indices so they get past the first checks: each is dropped and counted exactly once.
    func testRandomDatagramsAreDroppedAndCounted() {
        let net = Seed.establishedNetwork()
        var rng = SplitMix64(seed: 0x6d6c_696e_6b01)
        let targets: [(engine: TunnelEngine, slot: Int, source: SocketAddress, index: UInt32)] = [
            (net.router, 0, Fixture.socket("192.168.0.2:40000"), net.router.peers[Seed.routerPeerVM0].session!.localIndex),
            (net.vm0, 1, Seed.routerSlots[1]!, net.routerPeer(of: Seed.vm0).session!.localIndex),
        ]
        let dropsBefore = targets.map { totalDrops($0.engine) }
        for _ in 0..<10_000 {
            let length: Int
            switch rng.next() % 8 {
            case 0: length = Int.random(in: 0...1600, using: &rng)
            case 1, 2: length = [60, 64, 148, 88].randomElement(using: &rng)!  // the sizes of real messages
            default: length = Int.random(in: 0...100, using: &rng)
            }
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if length > 0, Bool.random(using: &rng) { bytes[0] = [1, 2, 4, 5, 6].randomElement(using: &rng)! }
            if length > 1, Bool.random(using: &rng) { bytes[1] = 0 }
            for target in targets {
                var datagram = bytes
                if length >= 12, Bool.random(using: &rng) {
                    datagram.putLE(target.index, at: datagram[0] == 2 ? 8 : 4)
                }
                let verdict = feed(target.engine, datagram, slot: target.slot, source: target.source, now: net.now)
                XCTAssertEqual(verdict, .none, "\(datagram)")
            }
        }
        for (target, before) in zip(targets, dropsBefore) {
            XCTAssertEqual(totalDrops(target.engine), before + 10_000, "each random datagram is one counted drop")
        }
        XCTAssertGreaterThan(net.router.globalDrops.unauthenticated, 500, "the fuzz reached the tag and mac1 checks")
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<20)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<20), "the engines still work")
    }

    /// Every strict prefix of every kind of valid datagram is dropped and counted.
    func testTruncatedDatagramsAreDroppedAndCounted() {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<3)
        let samples = net.allCarried
        XCTAssertEqual(Set(samples.map { $0.bytes[0] }), [1, 2, 4, 5, 6], "6: the router's FEEDBACK about the stream")
        for sample in samples {
            let (node, slot) = net.owner(of: sample.destination)!
            let engine = net.nodes[node].engine
            for length in 0..<sample.bytes.count {
                let before = totalDrops(engine)
                let verdict = feed(engine, Array(sample.bytes[0..<length]), slot: slot, source: sample.source, now: net.now)
                XCTAssertEqual(verdict, .none, "type \(sample.bytes[0]) cut to \(length)")
                XCTAssertEqual(totalDrops(engine), before + 1, "type \(sample.bytes[0]) cut to \(length)")
            }
        }
    }

    /// 10000 mutations (bit flips, byte stores, truncations, extensions, type swaps) of datagrams that were
    /// already received. None crashes, none reaches a TUN device or another peer (the AEAD tag covers header
    /// and payload), and none changes a connection's remote address.
    func testMutatedDatagramsNeverCrashAndNeverDeliverTwice() {
        let net = Seed.establishedNetwork()
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<20)
        net.stream(from: Seed.vm2, source: Seed.vm2Address, destination: Seed.vm0Address, sequences: 0..<20)
        net.advance(by: 300 * Time.millisecond)
        let samples = net.allCarried
        var rng = SplitMix64(seed: 0x6d6c_696e_6b02)
        var forgedCounters = 0
        for _ in 0..<10_000 {
            let sample = samples.randomElement(using: &rng)!
            var bytes = sample.bytes
            switch Int.random(in: 0..<6, using: &rng) {
            case 0:
                for _ in 0...Int.random(in: 0..<4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                }
            case 1:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            case 3:
                bytes += (0..<Int.random(in: 1...32, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 4:
                bytes[0] = [1, 2, 4, 5, 6].randomElement(using: &rng)!
            default:
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                for i in start..<min(bytes.count, start + Int.random(in: 1...16, using: &rng)) { bytes[i] = 0 }
            }
            let (node, slot) = net.owner(of: sample.destination)!
            let verdict = feed(net.nodes[node].engine, bytes, slot: slot, source: Fixture.socket("192.168.0.66:6666"),
                               now: net.now)
            if reachesTUN(verdict) { forgedCounters += 1 }
        }
        XCTAssertEqual(forgedCounters, 0, "a mutated datagram was delivered")
        for peer in net.router.peers + [net.routerPeer(of: Seed.vm0), net.routerPeer(of: Seed.vm2)] {
            XCTAssertFalse(peer.connections.contains { $0.remote == Fixture.socket("192.168.0.66:6666") },
                           "a forged datagram moved a connection")
        }
    }
}
