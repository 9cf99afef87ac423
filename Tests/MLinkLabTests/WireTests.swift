import Foundation
import XCTest
@testable import MLinkEmulator
@testable import MLinkLab

final class WireTests: XCTestCase {
    private let wire = Wire(net: "net0", ends: [
        Wire.End(host: "vm0", namespace: "seed-vm0", interface: "enp0s3", address: "192.168.0.2/24"),
        Wire.End(host: "vm1", namespace: "seed-vm1", interface: "enp0s3", address: "192.168.0.3/24"),
    ])

    func testCutDropsEverythingOnBothIngresses() {
        var cut = wire
        cut.impairment.isCut = true
        XCTAssertEqual(cut.ends.map { shellQuoted(cut.impairmentCommand(for: $0)) }, [
            "ip netns exec seed-vm0 nft 'add table netdev mlink_lab_net0; delete table netdev mlink_lab_net0; "
                + "add table netdev mlink_lab_net0; add chain netdev mlink_lab_net0 ingress { type filter hook ingress "
                + "device \"enp0s3\" priority -500; policy accept; }; add rule netdev mlink_lab_net0 ingress drop'",
            "ip netns exec seed-vm1 nft 'add table netdev mlink_lab_net0; delete table netdev mlink_lab_net0; "
                + "add table netdev mlink_lab_net0; add chain netdev mlink_lab_net0 ingress { type filter hook ingress "
                + "device \"enp0s3\" priority -500; policy accept; }; add rule netdev mlink_lab_net0 ingress drop'",
        ])
    }

    func testNoImpairmentOnlyRemovesTheTable() {
        XCTAssertEqual(wire.impairmentCommand(for: wire.ends[0]),
                       ["ip", "netns", "exec", "seed-vm0", "nft",
                        "add table netdev mlink_lab_net0; delete table netdev mlink_lab_net0"])
    }

    func testLossRules() {
        func rule(_ percent: Double, cut: Bool = false) -> String? {
            Wire.Impairment(isCut: cut, lossPercent: percent).rule
        }
        XCTAssertNil(rule(0))
        XCTAssertEqual(rule(5), "numgen random mod 10000 < 500 drop")
        XCTAssertEqual(rule(0.25), "numgen random mod 10000 < 25 drop")
        XCTAssertEqual(rule(100), "drop")
        XCTAssertEqual(rule(5, cut: true), "drop")
        XCTAssertEqual(Wire.Impairment(isCut: true, lossPercent: 5).summary, "CUT (then loss 5%)")
        XCTAssertEqual(Wire.Impairment(lossPercent: 2.5).summary, "loss 2.5%")
        XCTAssertEqual(Wire.Impairment().summary, "ok")
    }

    func testCreateBuildsTheVethPairInsideTheNamespaces() throws {
        let system = RecordingSystem(root: "/nonexistent")
        var plain = wire
        try plain.create(using: system, relayExecutable: "mlink-lab")
        XCTAssertEqual(system.trace, [
            "ip link add enp0s3 netns seed-vm0 type veth peer name enp0s3 netns seed-vm1",
            "ip -n seed-vm0 addr add 192.168.0.2/24 dev enp0s3",
            "ip -n seed-vm0 link set enp0s3 up",
            "ip -n seed-vm1 addr add 192.168.0.3/24 dev enp0s3",
            "ip -n seed-vm1 link set enp0s3 up",
        ])
    }

    func testAnEmulatedWireMeetsInTheWireNamespaceWithItsRelay() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("emwire-\(getpid())").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let system = RecordingSystem(root: root)
        var emulated = wire
        emulated.emulation = WireEmulation()
        try emulated.emulation!.apply(["delay=20ms"], to: .forward)
        emulated.relay = Wire.RelayProcess(namespace: "seed-wire", interfaces: ["w0-a", "w0-b"],
                                           configFile: root + "/relay-net0.json", statsFile: root + "/relay-net0.stats",
                                           logFile: root + "/relay-net0.log", readyFile: root + "/relay-net0.ready")
        try emulated.create(using: system, relayExecutable: "mlink-lab")
        XCTAssertEqual(system.trace, [
            "ip link add enp0s3 netns seed-vm0 type veth peer name w0-a netns seed-wire",
            "ip -n seed-vm0 link set enp0s3 gso_max_segs 1",
            "ip -n seed-wire link set w0-a up",
            "ip link add enp0s3 netns seed-vm1 type veth peer name w0-b netns seed-wire",
            "ip -n seed-vm1 link set enp0s3 gso_max_segs 1",
            "ip -n seed-wire link set w0-b up",
            "ip -n seed-vm0 addr add 192.168.0.2/24 dev enp0s3",
            "ip -n seed-vm0 link set enp0s3 up",
            "ip -n seed-vm1 addr add 192.168.0.3/24 dev enp0s3",
            "ip -n seed-vm1 link set enp0s3 up",
            "# write ROOT/relay-net0.json: forward delay=20ms, backward , 0 script steps",
            "ip netns exec seed-wire mlink-lab _relay --a w0-a --b w0-b --config ROOT/relay-net0.json "
                + "--stats ROOT/relay-net0.stats --ready ROOT/relay-net0.ready &",
        ])
        XCTAssertEqual(emulated.relay?.pid, 4242)
        let saved = try JSONDecoder().decode(WireEmulation.self,
                                             from: try Data(contentsOf: URL(fileURLWithPath: root + "/relay-net0.json")))
        XCTAssertEqual(saved, emulated.emulation)
        emulated.remove(using: system)
        XCTAssertEqual(system.trace.last, "kill 4242")
    }
}
