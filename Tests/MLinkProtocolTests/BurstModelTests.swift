import XCTest
@testable import MLinkProtocol

/// The loss-run model the adaptive planner judges parity and NACK bursts with (BurstModel.swift).
final class BurstModelTests: XCTestCase {
    func testTheMeanRunFollowsTheNackedRuns() {
        var model = BurstModel()
        XCTAssertEqual(model.meanRun, 1, "random loss until a run is seen")
        model.addRun(4)
        XCTAssertEqual(model.meanRun, 4, "the first run sets the mean")
        for _ in 0..<200 { model.addRun(2) }
        XCTAssertEqual(model.meanRun, 2, accuracy: 0.01)
        model.addRun(10_000)
        XCTAssertLessThanOrEqual(model.meanRun, 2 + Double(BurstModel.longestRun) / 16, "a cut is not a run")
    }

    func testParityCannotRepairRunsButRepairsRandomLoss() {
        var random = BurstModel()
        random.addRun(1)
        let iid = random.parityResidual(p: 0.02, q: 0.02, k: 4)
        XCTAssertEqual(iid, 0.02 * (1 - 0.98 * 0.98 * 0.98 * 0.98), accuracy: 1e-9, "the independent-loss figure")
        XCTAssertLessThan(iid, 0.002)
        var bursty = BurstModel()
        bursty.addRun(4)  // the lab's lte: Gilbert-Elliott r = 25%
        let residual = bursty.parityResidual(p: 0.02, q: 0.029, k: 4)
        XCTAssertGreaterThan(residual, 0.75 * 0.02, "three in four losses are in runs of two or more")
        XCTAssertGreaterThan(residual, 0.001, "no k meets a 0.1% target")
    }

    func testASevereRunIsOneTheRunsMakeUnlikely() {
        var random = BurstModel()
        random.addRun(1)
        XCTAssertEqual(random.severeRun(floor: 8, span: 16), 8, "random loss: the fixed 8 of 16")
        var bursty = BurstModel()
        bursty.addRun(4)
        // At runs of mean 4, one run in eight reaches 8 ((3/4)^7 = 13%): that is weather, not trouble.
        XCTAssertEqual(bursty.runAtLeast(8), 0.1335, accuracy: 0.001)
        XCTAssertEqual(bursty.severeRun(floor: 8, span: 16), 16)
        var two = BurstModel()
        two.addRun(2)
        XCTAssertEqual(two.severeRun(floor: 8, span: 16), 9, "(1/2)^8 = 1/256")
    }
}
