import MLinkTestSupport
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Packets for a peer without a usable session wait in a bounded queue and leave in order, once, when it is up.
final class StagingTests: XCTestCase {
    /// Writes a 100-byte IPv4 packet from the host to the router whose bytes 20..27 hold `sequence` big-endian.
    private func packet(_ sequence: UInt64, into p: UnsafeMutableRawPointer) {
        EnginePair.writeIPv4(into: p, length: 100)
        for i in 0..<8 { p.storeBytes(of: UInt8(truncatingIfNeeded: sequence >> UInt64(56 - 8 * i)), toByteOffset: 20 + i, as: UInt8.self) }
    }

    private func sequence(at p: UnsafeRawPointer) -> UInt64 {
        (0..<8).reduce(0) { $0 << 8 | UInt64(p.load(fromByteOffset: 20 + $1, as: UInt8.self)) }
    }

    /// A flood of 100k packets before the first handshake: memory stays at the queue's 128 slots, the rest is
    /// counted, and the first 128 reach the router in order once the session is up.
    func testAFloodBeforeTheFirstSessionIsBoundedCountedAndTheFirstPacketsLeaveInOrder() {
        let pair = EnginePair(links: 2, rounds: 0)
        XCTAssertNil(pair.host.peers[0].session)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
        defer { buffer.deallocate() }
        let flood = 100_000
        for n in 0..<flood {
            packet(UInt64(n), into: buffer)
            XCTAssertTrue(pair.host.encapsulate(buffer, length: 100, to: 0, inPlace: false, into: pair.out, now: pair.now))
        }
        let capacity = StagingQueue.hostCapacity
        XCTAssertEqual(pair.out.count, 0, "nothing can leave without a session")
        XCTAssertEqual(pair.host.staging.total, capacity)
        XCTAssertEqual(pair.host.staging.queues[0]?.capacity, capacity, "the queue never grows")
        XCTAssertEqual(pair.host.peers[0].counters.stagingDrops, UInt64(flood - capacity))
        XCTAssertEqual(pair.host.peers[0].counters.noPath, 0)

        pair.exchange()  // initiation out, response back: the host's session is up
        XCTAssertNotNil(pair.host.peers[0].session)
        pair.now += 10_000_000
        pair.host.tick(now: pair.now, into: pair.out)
        var delivered: [UInt64] = []
        for i in 0..<pair.out.count {
            let slot = pair.out.slot(at: i), length = pair.out.length(at: i)
            pair.receiveBuffer.copyMemory(from: pair.out.bytes(at: i), byteCount: length)
            if case .deliver(let offset, _) = pair.router.receive(pair.receiveBuffer, length: length, slot: slot,
                                                                  source: EnginePair.hostAddress(link: slot), now: pair.now) {
                delivered.append(sequence(at: pair.receiveBuffer + offset))
            }
        }
        pair.host.completeTransmission(pair.out)
        XCTAssertEqual(delivered, Array(0..<UInt64(capacity)), "the first packets, in order, each once")
        XCTAssertEqual(pair.host.peers[0].counters.staged, UInt64(capacity))
        XCTAssertEqual(pair.host.staging.total, 0)
        XCTAssertEqual(pair.router.peers[0].counters.delivered, UInt64(capacity))
        XCTAssertEqual(pair.router.peers[0].counters.duplicates, UInt64(capacity), "one copy per link: the second is a duplicate")
    }

    /// A packet sent after the session is up but before the staged ones left goes behind them.
    func testANewPacketNeverOvertakesStagedOnes() {
        let net = Seed.network()
        for lan: UInt8 in 0...1 { net.wire(lan).latency = 23 * Time.millisecond }  // the response lands between ticks
        net.advance(by: 5 * Time.millisecond)
        for sequence in 0..<5 as Range<UInt64> {
            net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.routerAddress,
                                                                   sequence: sequence))
        }
        XCTAssertEqual(net.vm0.staging.total, 5)
        // Run until the response arrived (the session is up) but stop before the next tick flushes.
        while net.routerPeer(of: Seed.vm0).session == nil { net.advance(by: Time.millisecond) }
        XCTAssertEqual(net.vm0.staging.total, 5, "the tick has not run yet")
        net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.routerAddress,
                                                               sequence: 5))
        XCTAssertEqual(net.vm0.staging.total, 0)
        net.advance(by: 100 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.router].deliveredSequences, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.staged, 5)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.stagingDrops, 0)
    }

    /// Packets that waited longer than the maximum copy age (2 s) are dropped and counted, never sent stale.
    func testStagedPacketsOlderThanTwoSecondsAreDropped() {
        let net = Seed.network()
        net.wire(0).isCut = true
        net.wire(1).isCut = true
        net.advance(by: 10 * Time.millisecond)
        for sequence in 0..<10 as Range<UInt64> {
            net.transmit(from: Seed.vm0, packet: Fixture.ipv4Packet(source: Seed.vm0Address, destination: Seed.routerAddress,
                                                                   sequence: sequence))
        }
        net.advance(by: 2100 * Time.millisecond)
        net.wire(0).isCut = false
        net.wire(1).isCut = false
        net.advance(by: 6 * Time.second)  // a new initiation after the rekey timeout
        XCTAssertNotNil(net.routerPeer(of: Seed.vm0).session)
        XCTAssertEqual(net.nodes[Seed.router].deliveredSequences, [])
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.stagingDrops, 10)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.staged, 0)
    }

    /// A router keeps at most 16 packets for a host without a session.
    func testARouterStagesAFewPacketsPerPeer() {
        let router = Seed.routerEngine()
        let out = OutboundBatch(capacity: 64, bufferSize: 2048)
        let packet = Fixture.ipv4Packet(source: Seed.vm2Address, destination: Seed.vm0Address, sequence: 1)
        var bytes = packet
        for _ in 0..<20 {
            bytes.withUnsafeMutableBytes {
                XCTAssertTrue(router.encapsulate($0.baseAddress!, length: packet.count, to: Seed.routerPeerVM0,
                                                 inPlace: false, into: out, now: Time.second))
            }
        }
        XCTAssertEqual(router.staging.total, StagingQueue.routerCapacity)
        XCTAssertEqual(router.peers[Seed.routerPeerVM0].counters.stagingDrops, UInt64(20 - StagingQueue.routerCapacity))
        XCTAssertNil(router.staging.queues[Seed.routerPeerVM2], "no memory for a peer that never needed it")
    }
}
