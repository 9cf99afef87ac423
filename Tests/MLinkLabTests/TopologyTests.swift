import XCTest
@testable import MLinkLab
import MLinkTypes

final class TopologyTests: XCTestCase {
    func testSeedTopology() throws {
        let topology = try Topology.parse(try Repository.text("examples/lab/seed.yaml"), file: "seed.yaml")
        XCTAssertEqual(topology.virtualNetwork, IPNetwork("10.77.0.0/24"))
        XCTAssertEqual(topology.hosts.map(\.name), ["vm1", "vm0", "vm2"])
        XCTAssertEqual(topology.router.name, "vm1")
        XCTAssertEqual(topology.router.listenPort, 7000)
        XCTAssertEqual(topology.host(named: "vm0")?.virtualIP, IPAddress("10.77.0.10"))
        XCTAssertEqual(topology.host(named: "vm0")?.listenPort, nil)
        XCTAssertEqual(topology.host(named: "vm2")?.virtualIP, IPAddress("10.77.0.20"))
        XCTAssertEqual(topology.startOrder.map(\.name), ["vm1", "vm0", "vm2"])
        let expected: [(String, String, String, String, String, String, String)] = [
            ("net0", "vm0", "enp0s3", "192.168.0.2/24", "vm1", "enp0s3", "192.168.0.3/24"),
            ("net1", "vm0", "enp0s8", "192.168.1.2/24", "vm1", "enp0s8", "192.168.1.3/24"),
            ("net2", "vm2", "enp0s3", "192.168.2.2/24", "vm1", "enp0s9", "192.168.2.3/24"),
            ("net3", "vm2", "enp0s8", "192.168.3.2/24", "vm1", "enp0s10", "192.168.3.3/24"),
        ]
        XCTAssertEqual(topology.nets.count, expected.count)
        for (net, row) in zip(topology.nets, expected) {
            XCTAssertEqual(net.name, row.0)
            XCTAssertEqual(net.ends, [
                Topology.End(host: row.1, interface: row.2, address: IPNetwork(row.3)!),
                Topology.End(host: row.4, interface: row.5, address: IPNetwork(row.6)!),
            ])
        }
    }

    func testPairTopology() throws {
        let topology = try Topology.parse(try Repository.text("examples/lab/pair.yaml"), file: "pair.yaml")
        XCTAssertEqual(topology.hosts.map(\.name), ["b", "a"])
        XCTAssertEqual(topology.router.name, "b")
        XCTAssertEqual(topology.nets.map(\.name), ["net0"])
    }

    func testListenPortDefaultsTo7000() throws {
        let topology = try Topology.parse("""
            virtual-network: 10.77.0.0/24
            hosts: {r: {role: router, virtual-ip: 10.77.0.1}, h: {virtual-ip: 10.77.0.2}}
            nets: {n: {ends: [h e0 10.0.0.1/30, r e0 10.0.0.2/30]}}
            """, file: "t.yaml")
        XCTAssertEqual(topology.router.listenPort, 7000)
    }

    /// Each bad topology with the exact message `mlink-lab` prints after `mlink-lab: `.
    func testBadTopologies() {
        let header = "virtual-network: 10.77.0.0/24\nhosts:\n  vm1: {role: router, virtual-ip: 10.77.0.1}\n  vm0: {virtual-ip: 10.77.0.10}\n"
        let cases: [(String, String)] = [
            (header + "nets:\n  net0: {ends: [vm0 e0 192.168.0.2/24, vm1 e0 192.168.0.3/24, vm1 e1 192.168.0.4/24]}\n",
             "bad.yaml:6:16: nets.net0.ends: a net joins exactly two hosts, found 3"),
            (header + "nets:\n  net0: {ends: [vm0 e0 192.168.0.2/24, vm9 e0 192.168.0.3/24]}\n",
             "bad.yaml:6:40: nets.net0.ends[1]: unknown host 'vm9'"),
            ("virtual-network: 10.77.0.0/24\nhosts:\n  vm0: {virtual-ip: 10.77.0.10}\nnets: {}\n",
             "bad.yaml:3:3: hosts: at least one host must have role router, found 0"),
            (header.replacingOccurrences(of: "vm0: {virtual-ip", with: "vm0: {colour: red, virtual-ip") + "nets: {}\n",
             "bad.yaml:4:9: hosts.vm0.colour: unknown key (expected role, virtual-ip, listen-port)"),
            (header + "nets:\n  net0: {ends: [vm0 e0 192.168.0.300/24, vm1 e0 192.168.0.3/24]}\n",
             "bad.yaml:6:17: nets.net0.ends[0]: '192.168.0.300/24' is not an address/prefix"),
            (header + "nets:\n  net0: {ends: [vm0 e0 192.168.0.2/24, vm1 e0 192.168.1.3/24]}\n",
             "bad.yaml:6:16: nets.net0.ends: 192.168.0.2/24 and 192.168.1.3/24 are not two addresses of one subnet"),
            (header + "nets:\n  net0: {ends: [vm0 e0 192.168.0.2/24, vm0 e1 192.168.0.3/24]}\n",
             "bad.yaml:6:40: nets.net0.ends[1]: both ends are on vm0"),
            (header + "nets:\n  net0: {ends: [vm0 e0 192.168.0.2/24, vm1 e0 192.168.0.3/24]}\n"
                + "  net1: {ends: [vm0 e0 192.168.1.2/24, vm1 e1 192.168.1.3/24]}\n",
             "bad.yaml:7:17: nets.net1.ends[0]: vm0 already has e0 (on net0)"),
            (header + "nets:\n  net0: {ends: [vm0 e0, vm1 e0 192.168.0.3/24]}\n",
             "bad.yaml:6:17: nets.net0.ends[0]: expected 'HOST INTERFACE ADDRESS/PREFIX', found 'vm0 e0'"),
            (header.replacingOccurrences(of: "10.77.0.10", with: "10.78.0.10") + "nets: {}\n",
             "bad.yaml:4:21: hosts.vm0.virtual-ip: 10.78.0.10 is outside virtual-network 10.77.0.0/24"),
            (header + "nets: {}\n",
             "bad.yaml:4:3: hosts.vm0: shares no net with the router vm1"),
            (header.replacingOccurrences(of: "vm0: {virtual-ip", with: "vm0: {listen-port: 7000, virtual-ip") + "nets: {}\n",
             "bad.yaml:4:22: hosts.vm0.listen-port: only the router listens"),
            ("virtual-network: 10.77.0.0/24\nhosts: [vm0]\nnets: {}\n",
             "bad.yaml:2:8: hosts: expected a mapping"),
            ("virtual-network: 10.77.0.0/24\nhosts:\n  vm0: {virtual-ip: 10.77.0.10\n",
             "bad.yaml:4:1: yaml: did not find expected ',' or '}' (while parsing a flow mapping at line 3, column 8)"),
            ("", "bad.yaml:1:1: document: the file holds no YAML document; expected a mapping of virtual-network, hosts and nets"),
            ("virtual-network: 10.77.0.0/24\n---\nhosts: {}\n",
             "bad.yaml:2:1: document: a second document starts here; a topology file holds exactly one"),
            ("hosts: {}\n", "bad.yaml:1:1: virtual-network: is required"),
            ("virtual-network: 10.77.0.0/24\nvirtual-network: 10.78.0.0/24\n",
             "bad.yaml:2:1: virtual-network: duplicate key"),
        ]
        for (index, (text, message)) in cases.enumerated() {
            do {
                _ = try Topology.parse(text, file: "bad.yaml")
                XCTFail("case \(index) parsed, expected: \(message)")
            } catch {
                XCTAssertEqual(error.description, message, "case \(index)")
                XCTAssertEqual(error.exitCode, 78, "case \(index)")
            }
        }
    }

    func testDefaultLabNameIsTheFileBaseName() {
        XCTAssertEqual(Lab.defaultName(forTopologyFile: "examples/lab/seed.yaml"), "seed")
        XCTAssertEqual(Lab.defaultName(forTopologyFile: "/x/pair.yml"), "pair")
        XCTAssertTrue(Lab.isValidName("seed-2"))
        XCTAssertFalse(Lab.isValidName("../etc"))
        XCTAssertFalse(Lab.isValidName("2seed"))
    }
}
