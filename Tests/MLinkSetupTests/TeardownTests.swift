import Glibc
import MLinkConfig
import MLinkSystem
import XCTest
@testable import MLinkSetup

/// `down` from the state alone, in particular after the core was killed with SIGKILL: the TUN device went with
/// the core's descriptor, but the state file, socket, log and per-link source routing stay behind.
final class TeardownTests: XCTestCase {
    let settings = Profile.RoutingSettings(tableBase: 20000, rulePriority: 300, routeProtocol: 77)

    func state(pid: Int32, routing: Bool = true) throws -> InterfaceState {
        let plan = SetupPlan(profile: try Profiles.load(Profiles.router), presentLinks: [])
        var settings = self.settings
        settings.enabled = routing
        return InterfaceState(interface: "ml-vm1", profileName: "vm1", profilePath: "/etc/mlink/vm1.yaml", pid: pid,
                              steps: plan.steps, routing: settings)
    }

    func testAKilledCoreLeavesSourceRoutingAndFilesButNoDevice() throws {
        let actions = Teardown.actions(for: try state(pid: 99), linkExists: { _ in false })
        XCTAssertEqual(actions, [.sweepSourceRouting(settings), .removeRunFiles])
    }

    func testADeviceThatOutlivedItsCoreIsDeletedAfterTheSweep() throws {
        let actions = Teardown.actions(for: try state(pid: 99), linkExists: { $0 == "ml-vm1" })
        XCTAssertEqual(actions, [.sweepSourceRouting(settings), .undo(.deleteLink(name: "ml-vm1")), .removeRunFiles])
        let withoutRouting = Teardown.actions(for: try state(pid: 99, routing: false), linkExists: { _ in true })
        XCTAssertEqual(withoutRouting, [.undo(.deleteLink(name: "ml-vm1")), .removeRunFiles])
    }

    /// A real child killed with SIGKILL stands in for the core; the run directory holds what such a core leaves.
    func testDownAfterSIGKILLRemovesEveryLeftoverAndStopsNothing() throws {
        let scratch = try ScratchRunDirectory()
        let run = scratch.runDirectory
        let pid = try ProcessControl.spawnDetached(path: "/bin/sleep", arguments: ["30"], inherit: [],
                                                   logPath: run.logPath("ml-vm1"))
        XCTAssertTrue(ProcessControl.isAlive(pid))
        ProcessControl.signal(pid, SIGKILL)
        var reaped = false
        for _ in 0..<250 where !reaped {
            reaped = ProcessControl.reap(pid)
            if !reaped { ProcessControl.sleep(milliseconds: 20) }
        }
        XCTAssertTrue(reaped, "the stand-in core did not die")
        XCTAssertFalse(ProcessControl.isAlive(pid))
        try run.save(try state(pid: pid))
        try scratch.write("ml-vm1.sock", "")
        XCTAssertEqual(Set(Files.list(run.path)), ["ml-vm1.state", "ml-vm1.sock", "ml-vm1.log"])

        let system = FakeSetupSystem()
        var echoed: [String] = []
        try Teardown.down("vm1", runDirectory: run, system: system) { echoed.append($0) }
        XCTAssertEqual(system.trace, ["sweep tables 20000 priority 300 proto 77"])
        XCTAssertEqual(echoed, ["[#] (sweep)"], "no core to stop, no device to delete")
        XCTAssertEqual(Files.list(run.path), [])
        XCTAssertThrowsError(try Teardown.down("vm1", runDirectory: run, system: system, echo: { _ in })) { error in
            XCTAssertEqual(error as? SetupError, .notRunning("vm1"))
        }
    }

    func testAFailingDeviceDeletionKeepsTheStateForAnotherTry() throws {
        let scratch = try ScratchRunDirectory()
        try scratch.runDirectory.save(try state(pid: 0))
        let system = FakeSetupSystem(links: ["ml-vm1"], failing: "deleteLink ml-vm1")
        XCTAssertThrowsError(try Teardown.down("ml-vm1", runDirectory: scratch.runDirectory, system: system, echo: { _ in }))
        XCTAssertEqual(scratch.runDirectory.interfaces(), ["ml-vm1"])
        system.failing = nil
        try Teardown.down("ml-vm1", runDirectory: scratch.runDirectory, system: system, echo: { _ in })
        XCTAssertEqual(system.links, [])
        XCTAssertEqual(scratch.runDirectory.interfaces(), [])
    }
}
