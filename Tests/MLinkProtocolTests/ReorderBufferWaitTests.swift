@testable import MLinkProtocol
import XCTest

/// The reorder buffer's wait (PROTOCOL.md section 16) on a fake clock: the engine's figure from the delay spread,
/// raised by a predecessor that came after its gap was given up to what would have held it, decaying by a
/// quarter per second without one, never above 100 ms.
final class ReorderBufferWaitTests: XCTestCase {
    private let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    deinit { packet.deallocate() }
    private let ms: UInt64 = 1_000_000

    private func arrive(_ buffer: ReorderBuffer, _ counter: UInt64, distance: UInt8, now: UInt64) -> ReorderBuffer.Arrival {
        buffer.arrive(packet, length: 100, counter: counter,
                      predecessor: ReorderBuffer.predecessor(counter: counter, distance: distance)!, session: 7,
                      path: 0, now: now)
    }

    private func drain(_ buffer: ReorderBuffer, now: UInt64) -> Int {
        var n = 0
        while buffer.next(now: now) != nil { n += 1 }
        return n
    }

    func testALateArrivalRaisesTheWaitToWhatWouldHaveHeldIt() {
        let buffer = ReorderBuffer(bytes: 8 * ReorderBuffer.stride, maximumWait: 10 * ms)
        buffer.adapt(base: 10 * ms, now: 0)
        XCTAssertEqual(arrive(buffer, 10, distance: 255, now: 0), .deliver)
        XCTAssertEqual(arrive(buffer, 12, distance: 1, now: 1 * ms), .held, "11 is missing")
        XCTAssertEqual(drain(buffer, now: 11 * ms), 1, "given up after 10 ms")
        XCTAssertEqual(buffer.timeouts, 1)
        // 11 comes 7 ms after its gap was given up: 10 + 7 + 2 ms would have held it.
        XCTAssertEqual(arrive(buffer, 11, distance: 1, now: 18 * ms), .deliver)
        XCTAssertEqual(buffer.late, 1)
        XCTAssertEqual(buffer.maximumWait, 19 * ms)
        XCTAssertEqual(buffer.learnedWait, 19 * ms)
        buffer.adapt(base: 10 * ms, now: 500 * ms)
        XCTAssertEqual(buffer.maximumWait, 19 * ms, "the engine's smaller figure does not undo it")
        // The same gap now waits 19 ms: a predecessor 15 ms late is held.
        XCTAssertEqual(arrive(buffer, 14, distance: 1, now: 600 * ms), .held, "13 is missing")
        XCTAssertEqual(drain(buffer, now: 615 * ms), 0)
        XCTAssertEqual(arrive(buffer, 13, distance: 1, now: 615 * ms), .deliver)
        XCTAssertEqual(drain(buffer, now: 615 * ms), 1, "released in order")
        XCTAssertEqual(buffer.timeouts, 1)
    }

    func testTheLearnedWaitDecaysAndNeverPassesTheCap() {
        let buffer = ReorderBuffer(bytes: 8 * ReorderBuffer.stride, maximumWait: 40 * ms)
        buffer.adapt(base: 40 * ms, now: 0)
        XCTAssertEqual(arrive(buffer, 10, distance: 255, now: 0), .deliver)
        XCTAssertEqual(arrive(buffer, 12, distance: 1, now: 0), .held)
        XCTAssertEqual(drain(buffer, now: 40 * ms), 1)
        XCTAssertEqual(arrive(buffer, 11, distance: 1, now: 120 * ms), .deliver, "80 ms late")
        XCTAssertEqual(ReorderBuffer.waitCap, 100 * ms)
        XCTAssertEqual(buffer.maximumWait, ReorderBuffer.waitCap, "40 + 80 + 2 ms is capped at 100")
        buffer.adapt(base: 2 * ms, now: 1_000 * ms)
        XCTAssertEqual(buffer.maximumWait, 75 * ms, "a quarter less after a second")
        buffer.adapt(base: 2 * ms, now: 1_500 * ms)
        XCTAssertEqual(buffer.maximumWait, 75 * ms, "one step per second")
        for second in 2...20 { buffer.adapt(base: 2 * ms, now: UInt64(second) * 1_000 * ms) }
        XCTAssertEqual(buffer.maximumWait, 2 * ms, "back to the engine's figure")
    }

    func testAGapGivenUpByThePacketBoundTeachesNoWait() {
        let buffer = ReorderBuffer(bytes: 2 * ReorderBuffer.stride, maximumWait: 10 * ms)
        XCTAssertEqual(arrive(buffer, 10, distance: 255, now: 0), .deliver)
        for c in UInt64(12)...14 { XCTAssertEqual(arrive(buffer, c, distance: 1, now: 1 * ms), .held) }
        XCTAssertEqual(drain(buffer, now: 1 * ms), 3, "over the bound: 11 is given up at once")
        XCTAssertEqual(arrive(buffer, 11, distance: 1, now: 5 * ms), .deliver)
        XCTAssertEqual(buffer.learnedWait, 0, "the bound, not the wait, gave it up")
        XCTAssertEqual(buffer.maximumWait, 10 * ms)
    }
}
