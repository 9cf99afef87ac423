import MLinkNetlink
import MLinkTypes
import XCTest
@testable import MLinkSetup

/// Applying a plan against a recording system: the calls, the echo, and the rollback when a step fails.
final class InterfaceSetupTests: XCTestCase {
    var echoed: [String] = []

    func plan() throws -> SetupPlan {
        SetupPlan(profile: try Profiles.load(Profiles.router), presentLinks: [link("enp0s3", index: 2, mtu: 1500)])
    }

    func testAppliesEveryStepInOrderEchoingEachFirst() throws {
        let system = FakeSetupSystem()
        let setup = InterfaceSetup(system: system) { self.echoed.append($0) }
        let plan = try plan()
        try setup.apply(plan)
        XCTAssertEqual(system.trace, [
            "createTun ml-vm1", "setMTU 1428 ml-vm1", "addAddress 10.77.0.1/24 ml-vm1", "setUp ml-vm1",
            "addRoute 192.168.50.0/24 ml-vm1 proto 109 table 254", "addRoute 10.60.0.0/24 ml-vm1 proto 109 table 254",
        ])
        XCTAssertEqual(echoed, plan.steps.map { "[#] \($0.ipCommand)" })
        XCTAssertEqual(setup.commit(), plan.steps)
        XCTAssertEqual(setup.applied, [])
    }

    func testAFailingRouteRollsBackByDeletingTheDeviceAndRethrows() throws {
        let system = FakeSetupSystem(failing: "addRoute 10.60.0.0/24 ml-vm1 proto 109 table 254")
        let setup = InterfaceSetup(system: system) { self.echoed.append($0) }
        XCTAssertThrowsError(try setup.apply(try plan())) { error in
            XCTAssertEqual(error as? FakeSetupSystem.Refused, FakeSetupSystem.Refused(call: system.failing!))
        }
        XCTAssertEqual(system.trace.suffix(2), [system.failing!, "deleteLink ml-vm1"])
        XCTAssertEqual(echoed.last, "[#] ip link delete dev ml-vm1")
        XCTAssertEqual(echoed.filter { $0.hasPrefix("[#] ip route add") }.count, 2, "the failing step is echoed too")
        XCTAssertFalse(system.links.contains("ml-vm1"))
        XCTAssertEqual(setup.applied, [])
    }

    func testAFailingDeviceCreationLeavesNothingToUndo() throws {
        let system = FakeSetupSystem(failing: "createTun ml-vm1")
        let setup = InterfaceSetup(system: system) { self.echoed.append($0) }
        XCTAssertThrowsError(try setup.apply(try plan()))
        XCTAssertEqual(system.trace, ["createTun ml-vm1"])
        XCTAssertEqual(echoed, ["[#] ip tuntap add mode tun name ml-vm1"])
    }

    func testAnExistingInterfaceIsRefusedUntouched() throws {
        let system = FakeSetupSystem(links: ["ml-vm1"])
        let setup = InterfaceSetup(system: system) { self.echoed.append($0) }
        XCTAssertThrowsError(try setup.apply(try plan())) { error in
            XCTAssertEqual(error as? SetupError, .interfaceExists("ml-vm1"))
        }
        XCTAssertEqual(system.trace, [])
        XCTAssertEqual(echoed, [])
        XCTAssertTrue(system.links.contains("ml-vm1"))
    }

    func testALateRollBackAfterTheCoreFailedAlsoDeletesTheDevice() throws {
        let system = FakeSetupSystem()
        let setup = InterfaceSetup(system: system) { self.echoed.append($0) }
        try setup.apply(try plan())
        setup.rollBack()
        XCTAssertEqual(system.trace.last, "deleteLink ml-vm1")
        XCTAssertEqual(system.links, [])
    }
}
