import MLinkProtocol
import MLinkTestSupport
import MLinkTypes
import XCTest

/// Parity between a real host and router engine (PROTOCOL.md section 15): lost packets rebuilt once, in any
/// order of arrival, never delivered twice; blocks closed by time; malformed parity counted.
final class ParityTests: XCTestCase {
    private let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    deinit { packet.deallocate() }

    /// Sends one inner packet (UDP, `length` bytes, its byte 28 = `mark`) from the host; it reaches the router
    /// unless `lost`. Returns how many packets the router delivered.
    @discardableResult
    private func send(_ pair: EnginePair, length: Int = 200, mark: UInt8, lost: Bool = false,
                      source: IPAddress = EnginePair.hostVirtual) -> Int {
        EnginePair.writeIPv4(into: packet + 28, length: length, source: source)
        (packet + 28 + 28).storeBytes(of: mark, as: UInt8.self)
        pair.host.encapsulate(packet + 28, length: length, to: 0, inPlace: true, into: pair.out, now: pair.now)
        if lost {
            pair.host.completeTransmission(pair.out)
            return 0
        }
        return pair.deliverFromHost()
    }

    /// The host's pending parity goes out; returns how many packets the router delivered (rebuilt ones).
    @discardableResult
    private func flushParity(_ pair: EnginePair, lost: Bool = false) -> Int {
        pair.host.flushControl(now: pair.now, into: pair.out)
        if lost {
            pair.host.completeTransmission(pair.out)
            return 0
        }
        return pair.deliverFromHost()
    }

    /// A first block so the router keeps the host's packets (it does so only while parity comes).
    private func warmUp(_ pair: EnginePair, k: Int) {
        for n in 0..<k { send(pair, mark: 200 + UInt8(n)) }
        flushParity(pair)
    }

    func testXORParityRebuildsOneLostPacketPerBlock() {
        let pair = EnginePair(links: 1)
        pair.host.setParity(peer: 0, k: 4, m: 1)
        warmUp(pair, k: 4)
        let before = pair.router.peers[0].counters
        var delivered = 0
        for n in 0..<4 { delivered += send(pair, mark: UInt8(n), lost: n == 2) }
        XCTAssertEqual(delivered, 3)
        XCTAssertEqual(flushParity(pair), 1, "the lost packet is rebuilt from the parity")
        let after = pair.router.peers[0].counters
        XCTAssertEqual(after.parityRecovered - before.parityRecovered, 1)
        XCTAssertEqual(after.delivered - before.delivered, 4)
        XCTAssertEqual(pair.host.peers[0].counters.paritySent, 2)
    }

    func testReedSolomonRebuildsTwoLostPacketsAndTheirBytes() {
        let pair = EnginePair(links: 2)
        pair.host.setParity(peer: 0, k: 5, m: 2)
        warmUp(pair, k: 5)
        var delivered = 0
        for n in 0..<5 { delivered += send(pair, length: 100 + 50 * n, mark: UInt8(n), lost: n == 0 || n == 3) }
        XCTAssertEqual(delivered, 3)
        XCTAssertEqual(flushParity(pair), 2)
        XCTAssertEqual(pair.router.peers[0].counters.parityRecovered, 2)
    }

    func testTooManyLossesRebuildNothingAndALateOriginalIsNotDeliveredTwice() {
        let pair = EnginePair(links: 1)
        pair.host.setParity(peer: 0, k: 4, m: 1)
        warmUp(pair, k: 4)
        for n in 0..<4 { send(pair, mark: UInt8(n), lost: n == 1 || n == 2) }
        XCTAssertEqual(flushParity(pair), 0, "two losses, one parity shard")
        XCTAssertEqual(pair.router.peers[0].counters.parityRecovered, 0)
        // One loss, rebuilt; then the "lost" original arrives late (replayed from the wire): a duplicate.
        var datagrams: [[UInt8]] = []
        for n in 0..<4 {
            EnginePair.writeIPv4(into: packet + 28, length: 200)
            (packet + 56).storeBytes(of: UInt8(n), as: UInt8.self)
            pair.host.encapsulate(packet + 28, length: 200, to: 0, inPlace: true, into: pair.out, now: pair.now)
            if n == 3 {
                datagrams = pair.out.datagrams.map(\.bytes)
                pair.host.completeTransmission(pair.out)
            } else {
                pair.deliverFromHost()
            }
        }
        XCTAssertEqual(flushParity(pair), 1)
        let duplicatesBefore = pair.router.peers[0].counters.duplicates
        for bytes in datagrams {
            pair.receiveBuffer.copyMemory(from: bytes, byteCount: bytes.count)
            let verdict = pair.router.receive(pair.receiveBuffer, length: bytes.count, slot: 0,
                                              source: EnginePair.hostAddress(link: 0), now: pair.now)
            XCTAssertEqual(verdict, .none)
        }
        XCTAssertEqual(pair.router.peers[0].counters.duplicates, duplicatesBefore + 1)
    }

    func testAPartBlockIsClosedAfterItsDelay() {
        let pair = EnginePair(links: 1)
        pair.host.setParity(peer: 0, k: 8, m: 1, maximumDelay: 20_000_000)
        warmUp(pair, k: 8)
        send(pair, mark: 1)
        send(pair, mark: 2, lost: true)
        pair.host.flushControl(now: pair.now, into: pair.out)
        XCTAssertEqual(pair.out.count, 0, "the block waits for more packets")
        pair.now += 25_000_000
        pair.host.tick(now: pair.now, into: pair.out)
        XCTAssertEqual(pair.deliverFromHost(), 1, "closed by time with k = 2: the lost packet is rebuilt")
    }

    func testRebuiltPacketsPassTheInnerSourceCheck() {
        let pair = EnginePair(links: 1)
        pair.host.setParity(peer: 0, k: 2, m: 1)
        warmUp(pair, k: 2)
        send(pair, mark: 1)
        send(pair, mark: 2, lost: true, source: IPAddress(ipv4: 0x0A4D_0063))  // 10.77.0.99: not the host's
        XCTAssertEqual(flushParity(pair), 0)
        XCTAssertEqual(pair.router.peers[0].counters.sourceRejected, 1)
    }

    func testMalformedParityIsCounted() {
        let pair = EnginePair(links: 1)
        let payload = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { payload.deallocate() }
        payload.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        payload.storeBytes(of: UInt8(2), toByteOffset: 4, as: UInt8.self)  // k = 2
        payload.storeBytes(of: UInt8(1), toByteOffset: 5, as: UInt8.self)  // m = 1, deltas: one, 0 (not increasing)
        pair.host.encapsulate(payload, length: 40, to: 0, inPlace: false, into: pair.out, now: pair.now, type: .parity)
        payload.storeBytes(of: UInt8(0), toByteOffset: 4, as: UInt8.self)  // k = 0
        pair.host.encapsulate(payload, length: 40, to: 0, inPlace: false, into: pair.out, now: pair.now, type: .parity)
        // k = 2 with delta 5 from a first counter no session can reach (the fuzzer's overflow).
        payload.storeBytes(of: UInt8(2), toByteOffset: 4, as: UInt8.self)
        payload.storeBytes(of: UInt64.max - 2, toByteOffset: 8, as: UInt64.self)
        payload.storeBytes(of: UInt16(5), toByteOffset: 16, as: UInt16.self)
        pair.host.encapsulate(payload, length: 40, to: 0, inPlace: false, into: pair.out, now: pair.now, type: .parity)
        pair.deliverFromHost()
        XCTAssertEqual(pair.router.peers[0].counters.parityMalformed, 3)
        XCTAssertEqual(pair.router.peers[0].counters.parityRecovered, 0)
    }
}
