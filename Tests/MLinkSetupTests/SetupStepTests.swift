import MLinkNetlink
import MLinkTypes
import XCTest
@testable import MLinkSetup

/// Inverses, the undo order, the `ip` echo text and the state-file form of the steps.
final class SetupStepTests: XCTestCase {
    let device = "ml-vm0"
    lazy var every: [SetupStep] = [
        .createTun(name: device), .setMTU(1432, device: device), .addAddress(IPNetwork("10.77.0.10/24")!, device: device),
        .setUp(device: device), .addRoute(IPNetwork("10.77.0.0/16")!, device: device, protocolNumber: 109),
        .deleteLink(name: device), .deleteAddress(IPNetwork("fd00::1/64")!, device: device), .setDown(device: device),
        .deleteRoute(IPNetwork("2001:db8::/32")!, device: device, protocolNumber: 42),
    ]

    func testEveryInverseUndoesItsStepAndOnlyTheMTUHasNone() {
        for step in every {
            if case .setMTU = step {
                XCTAssertNil(step.inverse)
                continue
            }
            XCTAssertEqual(step.inverse?.inverse, step, "\(step)")
            XCTAssertNotEqual(step.inverse, step)
            XCTAssertEqual(step.inverse?.device, step.device)
        }
    }

    func testUndoingAWholeSetUpIsDeletingTheDevice() {
        let applied = Array(every.prefix(5))
        XCTAssertEqual(SetupStep.undo(applied), [.deleteLink(name: device)])
        XCTAssertEqual(SetupStep.undo([]), [])
    }

    func testUndoOnAForeignDeviceRevertsEachStepNewestFirst() {
        let applied: [SetupStep] = [.addAddress(IPNetwork("10.1.0.1/24")!, device: "eth0"), .setUp(device: "eth0"),
                                    .setMTU(1400, device: "eth0"),
                                    .addRoute(IPNetwork("10.2.0.0/24")!, device: "eth0", protocolNumber: 109)]
        XCTAssertEqual(SetupStep.undo(applied), [
            .deleteRoute(IPNetwork("10.2.0.0/24")!, device: "eth0", protocolNumber: 109),
            .setDown(device: "eth0"),
            .deleteAddress(IPNetwork("10.1.0.1/24")!, device: "eth0"),
        ])
    }

    func testEchoTextIsWhatIpTakes() {
        XCTAssertEqual(every.map(\.ipCommand), [
            "ip tuntap add mode tun name ml-vm0",
            "ip link set mtu 1432 dev ml-vm0",
            "ip address add 10.77.0.10/24 dev ml-vm0",
            "ip link set up dev ml-vm0",
            "ip route add 10.77.0.0/16 dev ml-vm0 proto 109",
            "ip link delete dev ml-vm0",
            "ip address del fd00::1/64 dev ml-vm0",
            "ip link set down dev ml-vm0",
            "ip -6 route del 2001:db8::/32 dev ml-vm0 proto 42",
        ])
    }

    func testEveryStepSurvivesTheStateFile() throws {
        let data = try JSONEncoder().encode(every)
        XCTAssertEqual(try JSONDecoder().decode([SetupStep].self, from: data), every)
        let text = String(decoding: try JSONEncoder().encode([every[4]]), as: UTF8.self)
        XCTAssertTrue(text.contains("\"network\":\"10.77.0.0\\/16\"") || text.contains("\"network\":\"10.77.0.0/16\""), text)
        XCTAssertTrue(text.contains("\"step\":\"addRoute\""), text)
    }

    func testADamagedPrefixFailsToLoadNamingTheValue() {
        let text = #"[{"step":"addRoute","device":"ml-vm0","network":"10.77.0.300/24","protocol":109}]"#
        XCTAssertThrowsError(try JSONDecoder().decode([SetupStep].self, from: Data(text.utf8))) { error in
            XCTAssertTrue("\(error)".contains("10.77.0.300/24"), "\(error)")
        }
    }
}
