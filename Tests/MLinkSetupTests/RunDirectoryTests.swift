import MLinkConfig
import MLinkSystem
import MLinkTypes
import XCTest
@testable import MLinkSetup

/// A scratch run directory, removed with its files when the test ends.
final class ScratchRunDirectory {
    let runDirectory: RunDirectory

    init() throws {
        let path = "/tmp/mlink-setup-test-\(ProcessControl.currentPID)-\(UInt32.random(in: 0...UInt32.max))"
        runDirectory = RunDirectory(environment: ["MLINK_RUN_DIR": path])
        try Files.makeDirectory(path)
    }

    deinit {
        for name in Files.list(runDirectory.path) { Files.remove("\(runDirectory.path)/\(name)") }
        rmdir(runDirectory.path)
    }

    func write(_ name: String, _ text: String) throws {
        try Files.writeAtomically(Array(text.utf8), to: "\(runDirectory.path)/\(name)")
    }
}

/// The state file: what `up` writes is what `down` reads, old files still load, damaged ones say so.
final class RunDirectoryTests: XCTestCase {
    func state() throws -> InterfaceState {
        let profile = try Profiles.load(Profiles.router)
        let plan = SetupPlan(profile: profile, presentLinks: [])
        var routing = profile.routing
        routing.tableBase = 20000
        routing.routeProtocol = 77
        return InterfaceState(interface: "ml-vm1", profileName: "vm1", profilePath: "/etc/mlink/vm1.yaml", pid: 4242,
                              steps: plan.steps, routing: routing)
    }

    func testStateRoundTripsThroughTheRunDirectory() throws {
        let scratch = try ScratchRunDirectory()
        let written = try state()
        try scratch.runDirectory.save(written)
        XCTAssertEqual(scratch.runDirectory.interfaces(), ["ml-vm1"])
        let read = try XCTUnwrap(try scratch.runDirectory.load("ml-vm1"))
        XCTAssertEqual(read, written)
        XCTAssertEqual(read.steps.count, 6)
        XCTAssertEqual(read.sourceRouting, Profile.RoutingSettings(tableBase: 20000, rulePriority: 10900, routeProtocol: 77))
        XCTAssertNil(try scratch.runDirectory.load("ml-vm9"))
    }

    func testSourceRoutingOffRecordsNothingToSweep() throws {
        var routing = Profile.RoutingSettings()
        routing.enabled = false
        let state = InterfaceState(interface: "ml-vm0", profileName: "vm0", profilePath: "/p/vm0.yaml", routing: routing)
        XCTAssertNil(state.sourceRouting)
    }

    func testAStateFromBeforeStepsLoadsAsTheDeviceItCreated() throws {
        let scratch = try ScratchRunDirectory()
        try scratch.write("ml-vm0.state", """
            {"interface":"ml-vm0","profileName":"vm0","profilePath":"/etc/mlink/vm0.yaml","pid":321,\
            "routes":[{"destination":"10.77.0.1/32","table":254,"device":"ml-vm0"}],"rules":[],\
            "routingTableBase":10900,"routingRulePriority":10900}
            """)
        let state = try XCTUnwrap(try scratch.runDirectory.load("ml-vm0"))
        XCTAssertEqual(state.steps, [.createTun(name: "ml-vm0")])
        XCTAssertEqual(state.pid, 321)
        XCTAssertEqual(state.sourceRouting?.routeProtocol, 109)
    }

    func testADamagedStateFileIsAnErrorNamingItsPath() throws {
        let scratch = try ScratchRunDirectory()
        try scratch.write("ml-vm0.state", #"{"interface":"ml-vm0","pid":"#)
        XCTAssertThrowsError(try scratch.runDirectory.load("ml-vm0")) { error in
            guard case SetupError.stateUnreadable(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, scratch.runDirectory.statePath("ml-vm0"))
        }
    }

    func testArgumentsFindTheirInterfaceByNameProfileNameOrPath() throws {
        let scratch = try ScratchRunDirectory()
        try scratch.runDirectory.save(try state())
        for argument in ["ml-vm1", "vm1", "/etc/mlink/vm1.yaml", "vm1.yaml"] {
            XCTAssertEqual(scratch.runDirectory.interface(forArgument: argument), "ml-vm1", argument)
        }
        XCTAssertNil(scratch.runDirectory.interface(forArgument: "vm2"))
    }
}
