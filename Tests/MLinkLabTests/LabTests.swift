import XCTest
@testable import MLinkLab

/// `up`, `down` and impairments against a recording system: exact command traces, no root needed.
final class LabTests: XCTestCase {
    private var temporary = ""
    private var root = ""
    private var system: RecordingSystem!
    private var lab: Lab!
    private var pair: Topology!

    override func setUpWithError() throws {
        temporary = try makeTemporaryDirectory()
        root = temporary + "/labs"
        system = RecordingSystem(root: root)
        lab = Lab(paths: LabPaths(root: root), system: system, mlinkOverride: "/bin/true", executableDirectory: nil,
                  makeKeyPair: fixedKeyPair)
        pair = try Topology.parse(try Repository.text("examples/lab/pair.yaml"), file: "pair.yaml")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: temporary)
    }

    private let built = [
        "# mkdir -m 755 ROOT",
        "# mkdir -m 700 ROOT/pair",
        "ip netns add pair-b",
        "ip -n pair-b link set lo up",
        "ip netns exec pair-b sysctl -qw net.ipv4.ip_forward=1",
        "ip netns add pair-a",
        "ip -n pair-a link set lo up",
        "ip link add eth0 netns pair-a type veth peer name eth0 netns pair-b",
        "ip -n pair-a addr add 192.168.100.1/24 dev eth0",
        "ip -n pair-a link set eth0 up",
        "ip -n pair-b addr add 192.168.100.2/24 dev eth0",
        "ip -n pair-b link set eth0 up",
        "# write ROOT/pair/b.key ROOT/pair/b.pub ROOT/pair/b.yaml",
        "# write ROOT/pair/a.key ROOT/pair/a.pub ROOT/pair/a.yaml",
    ]

    func testUpWithoutStartThenDown() throws {
        try lab.up(topology: pair, topologyFile: "/x/pair.yaml", lab: "pair", start: false)
        XCTAssertEqual(system.trace, built)
        XCTAssertEqual(system.namespaces, ["pair-a", "pair-b"])
        let state = try lab.paths.load("pair")
        XCTAssertEqual(state.hosts.map(\.namespace), ["pair-b", "pair-a"])
        XCTAssertEqual(state.wires.map(\.net), ["net0"])
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/pair/a.yaml")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual(try String(contentsOfFile: root + "/pair/a.yaml", encoding: .utf8),
                       ProfileWriter.profile(of: pair.host(named: "a")!, in: pair,
                                             keys: ["a": fixedKeyPair("a"), "b": fixedKeyPair("b")]))
        XCTAssertEqual(try lab.status("pair").split(separator: "\n").dropFirst().map(String.init), [
            "hosts:",
            "  b  router  pair-b  ml-b 10.77.0.1/24  mlink: not started",
            "  a  host    pair-a  ml-a 10.77.0.2/24  mlink: not started",
            "nets:",
            "  net0  a eth0 192.168.100.1/24 <-> b eth0 192.168.100.2/24  ok",
        ])

        system.trace = []
        XCTAssertTrue(try lab.down("pair"))
        XCTAssertEqual(system.trace, ["ip netns del pair-b", "ip netns del pair-a", "# rm -rf ROOT/pair"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/pair"))
        XCTAssertFalse(try lab.down("pair"), "down is idempotent")
    }

    func testUpStartsTheRouterFirstAndDownStopsItLast() throws {
        try lab.up(topology: pair, topologyFile: "/x/pair.yaml", lab: "pair", start: true)
        XCTAssertEqual(Array(system.trace.dropFirst(built.count)), [
            "# mkdir -m 700 ROOT/pair/run",
            "# mkdir -m 700 ROOT/pair/run/b",
            "ip netns exec pair-b env MLINK_RUN_DIR=ROOT/pair/run/b /bin/true up ROOT/pair/b.yaml",
            "# mkdir -m 700 ROOT/pair/run/a",
            "ip netns exec pair-a env MLINK_RUN_DIR=ROOT/pair/run/a /bin/true up ROOT/pair/a.yaml",
        ])
        system.trace = []
        try lab.down("pair")
        XCTAssertEqual(system.trace, [
            "ip netns exec pair-a env MLINK_RUN_DIR=ROOT/pair/run/a /bin/true down ml-a",
            "ip netns exec pair-b env MLINK_RUN_DIR=ROOT/pair/run/b /bin/true down ml-b",
            "ip netns del pair-b",
            "ip netns del pair-a",
            "# rm -rf ROOT/pair",
        ])
    }

    func testFailureRollsBackEverything() throws {
        system.failing = "ip netns exec pair-a env MLINK_RUN_DIR=ROOT/pair/run/a /bin/true up ROOT/pair/a.yaml"
        XCTAssertThrowsError(try lab.up(topology: pair, topologyFile: "/x/pair.yaml", lab: "pair", start: true)) {
            XCTAssertEqual(($0 as? LabError)?.description,
                           "ip netns exec pair-a env MLINK_RUN_DIR=ROOT/pair/run/a /bin/true up ROOT/pair/a.yaml: "
                           + "RTNETLINK answers: File exists")
        }
        XCTAssertEqual(Array(system.trace.suffix(5)), [
            "# rolling back lab pair",
            "ip netns exec pair-b env MLINK_RUN_DIR=ROOT/pair/run/b /bin/true down ml-b",
            "ip netns del pair-a",
            "ip netns del pair-b",
            "# rm -rf ROOT/pair",
        ])
        XCTAssertTrue(system.namespaces.isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/pair"))
    }

    func testUpRefusesAnExistingLabOrNamespace() throws {
        try lab.up(topology: pair, topologyFile: "/x/pair.yaml", lab: "pair", start: false)
        XCTAssertThrowsError(try lab.up(topology: pair, topologyFile: "/x/pair.yaml", lab: "pair", start: false)) {
            XCTAssertEqual($0 as? LabError, .labExists("pair"))
        }
        XCTAssertThrowsError(try lab.up(topology: pair, topologyFile: "/x/pair.yaml", lab: "bad/name", start: false)) {
            XCTAssertEqual(($0 as? LabError)?.exitCode, 64)
        }
        system.namespaces.insert("other-a")
        system.trace = []
        XCTAssertThrowsError(try lab.up(topology: pair, topologyFile: "/x/pair.yaml", lab: "other", start: false)) {
            XCTAssertEqual($0 as? LabError, .namespaceExists("other-a"))
        }
        XCTAssertEqual(system.trace, ["# mkdir -m 700 ROOT/other", "# rolling back lab other", "# rm -rf ROOT/other"])
        XCTAssertEqual(lab.paths.runningLabs(), ["pair"])
        XCTAssertEqual(try lab.paths.resolve(nil), "pair")
    }

    func testImpairmentsAreAppliedAndSaved() throws {
        try lab.up(topology: pair, topologyFile: "/x/pair.yaml", lab: "pair", start: false)
        system.trace = []
        try lab.impair(lab: "pair", net: "net0") { $0.isCut = true }
        XCTAssertEqual(system.trace.count, 2)
        XCTAssertTrue(system.trace.allSatisfy { $0.hasSuffix("ingress drop'") })
        try lab.impair(lab: "pair", net: "net0") { $0.lossPercent = 5 }
        XCTAssertEqual(try lab.paths.load("pair").wires[0].impairment, Wire.Impairment(isCut: true, lossPercent: 5))
        XCTAssertTrue(try lab.status("pair").hasSuffix("CUT (then loss 5%)"))
        XCTAssertTrue(try lab.cut(lab: "pair", net: "net0", forSeconds: 0.05))
        XCTAssertEqual(try lab.paths.load("pair").wires[0].impairment, Wire.Impairment(isCut: false, lossPercent: 5))
        XCTAssertTrue(system.trace.last!.hasSuffix("ingress numgen random mod 10000 < 500 drop'"))
        XCTAssertThrowsError(try lab.impair(lab: "pair", net: "net9") { $0.isCut = true }) {
            XCTAssertEqual(($0 as? LabError)?.description, "lab 'pair': no net 'net9' (nets: net0)")
        }
        XCTAssertThrowsError(try lab.impair(lab: "nope", net: "net0") { $0.isCut = true }) {
            XCTAssertEqual($0 as? LabError, .labNotRunning("nope"))
        }
        system.trace = []
        try lab.down("pair")
        XCTAssertEqual(system.trace, ["ip netns del pair-b", "ip netns del pair-a", "# rm -rf ROOT/pair"])
    }
}
