import XCTest
@testable import MLinkProtocol

final class PathStatisticsTests: XCTestCase {
    func testRTTSmoothingFollowsRFC6298() {
        var s = PathStatistics()
        s.addRTTSample(100)
        XCTAssertEqual(s.smoothedRTT, 100, "first sample taken as is")
        XCTAssertEqual(s.rttVariation, 50, "first variation is half the sample")
        s.addRTTSample(200)
        XCTAssertEqual(s.rttVariation, (3 * 50 + 100) / 4)   // 62
        XCTAssertEqual(s.smoothedRTT, (7 * 100 + 200) / 8)   // 112
        s.addRTTSample(12)
        XCTAssertEqual(s.rttVariation, (3 * 62 + 100) / 4)   // 71
        XCTAssertEqual(s.smoothedRTT, (7 * 112 + 12) / 8)    // 99
    }

    func testConstantSamplesConverge() {
        var s = PathStatistics()
        for _ in 0..<100 { s.addRTTSample(14_000_000) }
        XCTAssertEqual(s.smoothedRTT, 14_000_000)
        XCTAssertEqual(s.rttVariation, 0)
    }

    /// Feeds sequences as `observeSequence` expects: observed first, then counted (`rxPackets == 0` marks the
    /// first). The engine-level behaviour is in `EngineStatisticsTests`.
    private func observe(_ sequences: [UInt32], into s: inout PathStatistics) {
        for sequence in sequences {
            s.observeSequence(sequence)
            s.rxPackets += 1
        }
    }

    func testGapsCountAsLossAndLateArrivalsUndoThem() {
        var s = PathStatistics()
        observe([0, 1, 2, 5], into: &s)
        XCTAssertEqual(s.lostEstimate, 2)
        XCTAssertEqual(s.highestSequence, 5)
        observe([3], into: &s)
        XCTAssertEqual(s.lostEstimate, 1, "3 was reordered, not lost")
        observe([4, 6, 7], into: &s)
        XCTAssertEqual(s.lostEstimate, 0)
        XCTAssertEqual(s.highestSequence, 7)
        observe([2], into: &s)
        XCTAssertEqual(s.lostEstimate, 0, "never below zero")
        observe([107], into: &s)
        XCTAssertEqual(s.lostEstimate, 99)
    }

    func testSequenceWrapAround() {
        var s = PathStatistics()
        observe([0xffff_fffd, 0xffff_fffe, 0xffff_ffff, 0, 2], into: &s)
        XCTAssertEqual(s.lostEstimate, 1, "only 1 missing across the wrap")
        XCTAssertEqual(s.highestSequence, 2)
        observe([0xffff_fff0], into: &s)
        XCTAssertEqual(s.highestSequence, 2, "behind across the wrap: late, not a jump")
    }

    /// The first sequence a path ever sees has no gap before it, even if the path does not start at zero.
    func testFirstObservedSequenceIsNotLoss() {
        var s = PathStatistics()
        observe([5000, 5001], into: &s)
        XCTAssertEqual(s.lostEstimate, 0)
        XCTAssertEqual(s.highestSequence, 5001)
    }
}
