import XCTest
@testable import MLinkLab
import MLinkTypes

final class ProfileWriterTests: XCTestCase {
    func testSeedProfiles() throws {
        let topology = try Topology.parse(try Repository.text("examples/lab/seed.yaml"), file: "seed.yaml")
        var keys: [String: KeyPair] = [:]
        for host in topology.hosts { keys[host.name] = fixedKeyPair(host.name) }
        let profiles = ProfileWriter.profiles(for: topology, keys: keys)
        let pub = { (host: String) in keys[host]!.publicKey.base64 }
        let priv = { (host: String) in keys[host]!.privateKey.base64 }

        XCTAssertEqual(profiles["vm0"], """
            name: vm0
            role: host
            private-key: \(priv("vm0"))
            interface: {name: ml-vm0, address: 10.77.0.10/24}
            links: [enp0s3, enp0s8]
            router:
              public-key: \(pub("vm1"))
              endpoints: [192.168.0.3:7000, 192.168.1.3:7000]
              virtual-ip: 10.77.0.1

            """)
        XCTAssertEqual(profiles["vm2"], """
            name: vm2
            role: host
            private-key: \(priv("vm2"))
            interface: {name: ml-vm2, address: 10.77.0.20/24}
            links: [enp0s3, enp0s8]
            router:
              public-key: \(pub("vm1"))
              endpoints: [192.168.2.3:7000, 192.168.3.3:7000]
              virtual-ip: 10.77.0.1

            """)
        XCTAssertEqual(profiles["vm1"], """
            name: vm1
            role: router
            private-key: \(priv("vm1"))
            listen-port: 7000
            interface: {name: ml-vm1, address: 10.77.0.1/24}
            links: [enp0s3, enp0s8, enp0s9, enp0s10]
            peers:
              - {name: vm0, public-key: \(pub("vm0")), allowed-ips: [10.77.0.10/32]}
              - {name: vm2, public-key: \(pub("vm2")), allowed-ips: [10.77.0.20/32]}

            """)
    }

    /// The profiles are YAML that a strict reader accepts, and the keys are the literal 44-character base64.
    func testProfilesAreValidYAMLWithLiteralKeys() throws {
        let topology = try Topology.parse(try Repository.text("examples/lab/seed.yaml"), file: "seed.yaml")
        let keys = Dictionary(uniqueKeysWithValues: topology.hosts.map { ($0.name, fixedKeyPair($0.name)) })
        for (host, text) in ProfileWriter.profiles(for: topology, keys: keys) {
            guard case .mapping(let pairs, _)? = try YAMLNode.parse(text) else { return XCTFail("\(host): not a mapping") }
            guard case .scalar(let key, _)? = pairs.value(for: "private-key") else { return XCTFail("\(host): no key") }
            XCTAssertEqual(Key32(base64: key), keys[host]!.privateKey)
        }
    }

    func testIPv6EndpointsAreQuoted() throws {
        let topology = try Topology.parse("""
            virtual-network: fd77::/64
            hosts: {r: {role: router, virtual-ip: "fd77::1", listen-port: 51820}, h: {virtual-ip: "fd77::2"}}
            nets: {n: {ends: [h e0 fd00::1/64, r e0 fd00::2/64]}}
            """, file: "v6.yaml")
        let keys = ["r": fixedKeyPair("r"), "h": fixedKeyPair("h")]
        let host = ProfileWriter.profile(of: topology.host(named: "h")!, in: topology, keys: keys)
        XCTAssertTrue(host.contains("  endpoints: [\"[fd00::2]:51820\"]\n"), host)
        XCTAssertTrue(host.contains("interface: {name: ml-h, address: fd77::2/64}\n"), host)
        let router = ProfileWriter.profile(of: topology.router, in: topology, keys: keys)
        XCTAssertTrue(router.contains("allowed-ips: [fd77::2/128]}"), router)
    }
}
