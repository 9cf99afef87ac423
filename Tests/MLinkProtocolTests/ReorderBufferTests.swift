@testable import MLinkProtocol
import XCTest

/// The receiver's reorder buffer for striped packets (PROTOCOL.md section 16), on a fake clock: in-order packets
/// pass without a copy, an overtaking one waits for its predecessor, a gap is given up at the time limit or the
/// byte bound (counted apart), and what is released keeps the chain's order.
final class ReorderBufferTests: XCTestCase {
    private let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    deinit { packet.deallocate() }
    private let ms: UInt64 = 1_000_000

    /// Offers the packet with `counter` and `distance` (its first 4 bytes carry the counter, for checking order);
    /// returns the counters delivered by this arrival and the releases after it.
    private func offer(_ buffer: ReorderBuffer, _ counter: UInt64, distance: UInt8, session: UInt32 = 7,
                       path: Int = 0, passed: UInt64 = 0, now: UInt64) -> [UInt64] {
        packet.storeBytes(of: UInt32(counter), as: UInt32.self)
        let predecessor = ReorderBuffer.predecessor(counter: counter, distance: distance)!
        var out: [UInt64] = []
        if buffer.arrive(packet, length: 100, counter: counter, predecessor: predecessor, session: session,
                         path: path, now: now) == .deliver {
            out.append(counter)
        }
        return out + drain(buffer, passed: passed, now: now)
    }

    private func drain(_ buffer: ReorderBuffer, passed: UInt64 = 0, now: UInt64) -> [UInt64] {
        var out: [UInt64] = []
        while let (bytes, length) = buffer.next(now: now, passed: passed) {
            XCTAssertEqual(length, 100)
            out.append(UInt64((bytes + WireFormat.transportHeaderSize).loadUnaligned(as: UInt32.self)))
        }
        return out
    }

    func testTheDocumentsExampleDeliversInOrder() {
        // Counters 10 (255), 11 (a probe: not striped), 12 (d 2), 13 (d 1), 15 (d 2); arrivals 10, 13, 12, 15.
        let buffer = ReorderBuffer(bytes: 8 * ReorderBuffer.stride, maximumWait: 20 * ms)
        XCTAssertEqual(offer(buffer, 10, distance: 255, now: 0), [10])
        XCTAssertEqual(offer(buffer, 13, distance: 1, now: 1 * ms), [], "13 overtook 12: held")
        XCTAssertEqual(buffer.held, 1)
        XCTAssertEqual(offer(buffer, 12, distance: 2, now: 2 * ms), [12, 13], "12 fills the gap and releases 13")
        XCTAssertEqual(offer(buffer, 15, distance: 2, now: 3 * ms), [15], "14 is no striped packet: nothing waits for it")
        XCTAssertEqual(buffer.held, 0)
        XCTAssertEqual(buffer.releasedInOrder, 1)
        XCTAssertEqual(buffer.timeouts, 0)
    }

    func testALostPacketIsGivenUpAtTheTimeLimitAndItsLateCopyGoesAtOnce() {
        let buffer = ReorderBuffer(bytes: 8 * ReorderBuffer.stride, maximumWait: 20 * ms)
        XCTAssertEqual(offer(buffer, 10, distance: 255, now: 0), [10])
        XCTAssertEqual(offer(buffer, 13, distance: 1, now: 1 * ms), [])
        XCTAssertEqual(offer(buffer, 14, distance: 1, now: 2 * ms), [], "waits behind 13")
        XCTAssertEqual(drain(buffer, now: 20 * ms), [], "13 has waited 19 ms of 20")
        XCTAssertEqual(buffer.nextDeadline, 21 * ms)
        XCTAssertEqual(drain(buffer, now: 21 * ms), [13, 14], "the gap is given up, the chain goes on")
        XCTAssertEqual(buffer.timeouts, 1)
        XCTAssertEqual(offer(buffer, 12, distance: 2, now: 22 * ms), [12], "late: delivered at once, never held")
        XCTAssertEqual(buffer.late, 1)
        XCTAssertEqual(buffer.held, 0)
    }

    func testThePacketBoundReleasesTheOldestGap() {
        let buffer = ReorderBuffer(bytes: 4 * ReorderBuffer.stride, maximumWait: 1_000 * ms)
        XCTAssertEqual(offer(buffer, 1, distance: 255, now: 0), [1])
        // 2 is lost; 3...6 wait for it (4 held: the bound), 7 overflows it.
        for c: UInt64 in 3...6 { XCTAssertEqual(offer(buffer, c, distance: 1, now: c * ms), []) }
        XCTAssertEqual(buffer.held, 4)
        XCTAssertEqual(offer(buffer, 7, distance: 1, now: 7 * ms), [3, 4, 5, 6, 7],
                       "more than 4 held: the gap before 3 is given up, long before the time limit")
        XCTAssertEqual(buffer.timeouts, 1)
        XCTAssertEqual(buffer.boundReleases, 1, "given up for room, not by the wait")
    }

    func testAGapIsHeldForItsWholeWaitAtAFastLinksRate() {
        // 50 Mbit/s and 20 Mbit/s links whose queues differ by 40 ms: the fast link delivers ~170 packets a gap
        // on the slow one waits for, and at 500 Mbit/s ten times as many. The buffer is sized by time and bytes,
        // not by a packet count: main's 256-packet bound gave such gaps up early, and their packets came late.
        let buffer = ReorderBuffer()
        XCTAssertEqual(offer(buffer, 1, distance: 255, now: 0), [1])
        var now: UInt64 = 0
        for c: UInt64 in 3...1802 {  // 2 comes 40 ms late; 1800 packets behind it, one every 22 us
            now += 22_000
            XCTAssertEqual(offer(buffer, c, distance: 1, now: now), [])
        }
        XCTAssertEqual(buffer.held, 1800)
        XCTAssertEqual(offer(buffer, 2, distance: 1, now: 40 * ms), (2...1802).map { UInt64($0) },
                       "the gap fills within the wait: every packet in order")
        XCTAssertEqual(buffer.timeouts, 0)
        XCTAssertEqual(buffer.late, 0)
        XCTAssertEqual(buffer.held, 0)
        XCTAssertFalse(buffer.hasHeld)
    }

    func testADuplicateIsHeldOnceAndReleasedOnce() {
        let buffer = ReorderBuffer(bytes: 8 * ReorderBuffer.stride, maximumWait: 20 * ms)
        XCTAssertEqual(offer(buffer, 1, distance: 255, now: 0), [1])
        XCTAssertEqual(offer(buffer, 3, distance: 1, now: 1 * ms), [])
        XCTAssertEqual(offer(buffer, 3, distance: 1, now: 2 * ms), [], "the same counter again")
        XCTAssertEqual(buffer.duplicates, 1)
        XCTAssertEqual(buffer.held, 1)
        XCTAssertEqual(offer(buffer, 2, distance: 1, now: 3 * ms), [2, 3], "3 once")
    }

    func testReleasedPacketsInterleaveWithoutCrossingAndSlotsAreReused() {
        // Two links, the second 4 packets behind: every even counter overtakes its odd predecessor, 1000 times.
        let buffer = ReorderBuffer(bytes: 16 * ReorderBuffer.stride, maximumWait: 20 * ms)
        var delivered: [UInt64] = []
        delivered += offer(buffer, 1, distance: 255, now: 0)
        var now: UInt64 = 0
        for base in stride(from: UInt64(2), to: 2000, by: 2) {
            now += 100_000
            delivered += offer(buffer, base + 1, distance: 1, now: now)
            delivered += offer(buffer, base, distance: 1, now: now)
        }
        XCTAssertEqual(delivered, (1...1999).map { UInt64($0) },
                       "every packet once, in order")
        XCTAssertEqual(buffer.timeouts, 0)
        XCTAssertEqual(buffer.held, 0)
    }

    func testANewSessionReleasesWhatTheOldOneHeldAndStartsAChain() {
        let buffer = ReorderBuffer(bytes: 8 * ReorderBuffer.stride, maximumWait: 20 * ms)
        XCTAssertEqual(offer(buffer, 100, distance: 255, now: 0), [100])
        XCTAssertEqual(offer(buffer, 102, distance: 1, now: 1 * ms), [])
        XCTAssertEqual(offer(buffer, 5, distance: 255, session: 8, now: 2 * ms), [102, 5],
                       "the old session's 102 first, then the new chain's first packet")
        XCTAssertEqual(buffer.last, 5)
    }

    func testTheWaitLearnsASkewLongerThan50Milliseconds() {
        // Two links whose queues differ by 80 ms (an emulator's 50 ms queue on top of 20 ms and 40 ms bases):
        // the first gap is given up at the 20 ms wait and its packet comes 60 ms later; the wait learns it.
        let buffer = ReorderBuffer(maximumWait: 20 * ms)
        XCTAssertEqual(offer(buffer, 1, distance: 255, now: 0), [1])
        XCTAssertEqual(offer(buffer, 3, distance: 1, now: 1 * ms), [])
        XCTAssertEqual(drain(buffer, now: 21 * ms), [3], "given up at 20 ms")
        XCTAssertEqual(offer(buffer, 2, distance: 1, now: 81 * ms), [2], "late by 60 ms")
        XCTAssertEqual(buffer.maximumWait, 20 * ms + 60 * ms + ReorderBuffer.lateMargin,
                       "the wait would have held it, above main's 50 ms cap")
        buffer.adapt(base: 5 * ms, now: 82 * ms)
        XCTAssertEqual(buffer.maximumWait, 82 * ms, "the learned wait stands over the links' figure")
        XCTAssertEqual(offer(buffer, 5, distance: 1, now: 100 * ms), [])
        XCTAssertEqual(drain(buffer, now: 170 * ms), [], "70 ms: still within the wait")
        XCTAssertEqual(offer(buffer, 4, distance: 1, now: 175 * ms), [4, 5], "in order")
        XCTAssertEqual(buffer.timeouts, 1)
    }

    func testAGapEveryPathHasPassedIsALossAndGoesBeforeItsWait() {
        let buffer = ReorderBuffer(maximumWait: 50 * ms)
        XCTAssertEqual(offer(buffer, 10, distance: 255, path: 0, now: 0), [10])
        XCTAssertEqual(offer(buffer, 13, distance: 2, path: 0, now: 1 * ms), [], "11 is missing")
        XCTAssertTrue(buffer.isStriping(path: 0, now: 1 * ms))
        XCTAssertFalse(buffer.isStriping(path: 1, now: 1 * ms), "path 1 carried no striped packet yet")
        XCTAssertEqual(drain(buffer, passed: 11, now: 2 * ms), [], "a path's highest is 11: 11 may still come")
        XCTAssertEqual(drain(buffer, passed: 12, now: 2 * ms), [13], "every path is past 11: it is lost")
        XCTAssertEqual(buffer.lossReleases, 1)
        XCTAssertEqual(buffer.timeouts, 1)
        XCTAssertEqual(buffer.learnedWait, 0, "a loss teaches no wait")
        XCTAssertFalse(buffer.isStriping(path: 0, now: 1_001 * ms), "a second without striped packets")
        XCTAssertTrue(buffer.followsPaths(now: 2 * ms))
        XCTAssertEqual(offer(buffer, 14, distance: 1, path: 20, now: 3 * ms), [14])
        XCTAssertFalse(buffer.followsPaths(now: 3 * ms), "a path beyond the followed ones: no evidence")
        XCTAssertTrue(buffer.followsPaths(now: 1_003 * ms))
    }

    func testAChainRestartReleasesWhatIsHeldBelowItFirst() {
        let buffer = ReorderBuffer(bytes: 8 * ReorderBuffer.stride, maximumWait: 20 * ms)
        XCTAssertEqual(offer(buffer, 10, distance: 255, now: 0), [10])
        XCTAssertEqual(offer(buffer, 13, distance: 1, now: 1 * ms), [], "waits for 12")
        XCTAssertEqual(offer(buffer, 400, distance: 255, now: 2 * ms), [13, 400],
                       "a new run: what is held below it goes first, in order")
        XCTAssertEqual(offer(buffer, 402, distance: 1, now: 3 * ms), [])
        XCTAssertEqual(offer(buffer, 401, distance: 1, now: 4 * ms), [401, 402])
        XCTAssertEqual(buffer.timeouts, 1, "the gap before 13")
    }

    func testTwoThousandGapsFillOneByOne() {
        // 2000 held, each behind its own gap, then each arrival fills one: the index and its cursor release them.
        let buffer = ReorderBuffer()
        XCTAssertEqual(offer(buffer, 1, distance: 255, now: 0), [1])
        for c in stride(from: UInt64(3), through: 4001, by: 2) { XCTAssertEqual(offer(buffer, c, distance: 1, now: ms), []) }
        XCTAssertEqual(buffer.held, 2000)
        var out: [UInt64] = []
        for c in stride(from: UInt64(2), through: 4000, by: 2) { out += offer(buffer, c, distance: 1, now: 2 * ms) }
        XCTAssertEqual(out, (2...4001).map { UInt64($0) })
        XCTAssertEqual(buffer.releasedInOrder, 2000)
        XCTAssertEqual(buffer.timeouts, 0)
        XCTAssertEqual(buffer.held, 0)
    }

    func testDistancesThatNameNoCounterAreMalformed() {
        XCTAssertNil(ReorderBuffer.predecessor(counter: 10, distance: 0), "0 means not striped")
        XCTAssertNil(ReorderBuffer.predecessor(counter: 3, distance: 3), "would name counter 0")
        XCTAssertEqual(ReorderBuffer.predecessor(counter: 3, distance: 255), 0, "255: no predecessor")
        XCTAssertEqual(ReorderBuffer.predecessor(counter: 300, distance: 254), 46)
    }
}
