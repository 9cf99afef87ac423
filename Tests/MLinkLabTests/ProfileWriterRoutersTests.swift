import MLinkConfig
@testable import MLinkLab
import XCTest

/// Several routers (examples/lab/bgp3.yaml): each router's peers are its own hosts and the other routers; a host on
/// two routers gets `router` and `routers`; the checks a full mesh needs.
final class ProfileWriterRoutersTests: XCTestCase {
    func testThreeRouterProfiles() throws {
        let topology = try Topology.parse(try Repository.text("examples/lab/bgp3.yaml"), file: "bgp3.yaml")
        XCTAssertEqual(topology.routers.map(\.name), ["r1", "r2", "r3"])
        XCTAssertEqual(topology.routers(of: "h").map(\.name), ["r1", "r2"])
        XCTAssertEqual(topology.routers(of: "r2").map(\.name), ["r1", "r3"])
        let keys = Dictionary(uniqueKeysWithValues: topology.hosts.map { ($0.name, fixedKeyPair($0.name)) })
        let profiles = ProfileWriter.profiles(for: topology, keys: keys)
        let r1 = try XCTUnwrap(profiles["r1"])
        XCTAssertEqual(r1.components(separatedBy: "\n").filter { $0.hasPrefix("  - {name: ") }.map {
            String($0.dropFirst(11).prefix { $0 != "," })
        }, ["a", "h", "r2", "r3"], r1)
        XCTAssertTrue(r1.contains("  - {name: r2, role: router, public-key: \(keys["r2"]!.publicKey.base64), "
                                  + "endpoints: [192.168.12.2:7000], allowed-ips: [10.77.0.2/32], "
                                  + "allowed-routes: [{prefix: 10.77.0.0/24, max-length: 32}]}"), r1)
        XCTAssertTrue(r1.contains("links: [e12, e13, ea, eh]"), r1)
        let h = try XCTUnwrap(profiles["h"])
        XCTAssertTrue(h.contains("links: [eth1, eth2]\nrouter:\n  name: r1\n"), h)
        XCTAssertTrue(h.contains("  endpoints: [10.2.4.1:7000]\n  virtual-ip: 10.77.0.1\nrouters:\n"
                                 + "  - {name: r2, public-key: \(keys["r2"]!.publicKey.base64), endpoints: [10.2.5.1:7000], "
                                 + "virtual-ip: 10.77.0.2, preference: 10}\n"), h)
        let b = try XCTUnwrap(profiles["b"])
        XCTAssertFalse(b.contains("routers:"), b)
        XCTAssertFalse(b.contains("  name: "), "a host on one router keeps the single-router form")
        for (name, text) in profiles {
            do {
                let profile = try ProfileLoader.parse(text: text, path: "/nonexistent/\(name).yaml", directory: "/nonexistent")
                if name == "r1" {
                    XCTAssertEqual(profile.peers.filter { $0.role == .router }.map(\.name), ["r2", "r3"])
                }
                if name == "h" { XCTAssertEqual(profile.allRouters.map(\.name), ["r1", "r2"]) }
            } catch {
                XCTFail("\(name): the loader refused the written profile: \(error)\n\(text)")
            }
        }
    }

    func testRoutersMustShareANet() {
        let text = """
            virtual-network: 10.77.0.0/24
            hosts:
              r1: {role: router, virtual-ip: 10.77.0.1}
              r2: {role: router, virtual-ip: 10.77.0.2}
              r3: {role: router, virtual-ip: 10.77.0.3}
            nets:
              n12: {ends: [r1 e0 192.168.12.1/24, r2 e0 192.168.12.2/24]}
              n23: {ends: [r2 e1 192.168.23.2/24, r3 e0 192.168.23.3/24]}

            """
        XCTAssertThrowsError(try Topology.parse(text, file: "bad.yaml")) {
            XCTAssertEqual("\($0)", "bad.yaml:3:3: hosts.r1: shares no net with the router r3 (routers form a full mesh)")
        }
        let lonely = text.replacingOccurrences(of: "nets:", with: "  x: {virtual-ip: 10.77.0.9}\nnets:")
            + "  n13: {ends: [r1 e1 192.168.13.1/24, r3 e1 192.168.13.3/24]}\n"
        XCTAssertThrowsError(try Topology.parse(lonely, file: "bad.yaml")) {
            XCTAssertEqual("\($0)", "bad.yaml:6:3: hosts.x: shares no net with any router (r1, r2, r3)")
        }
    }
}
