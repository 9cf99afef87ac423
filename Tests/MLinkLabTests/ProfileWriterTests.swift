import XCTest
@testable import MLinkLab
import MLinkConfig
import MLinkTypes
import MLinkYAML

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

    /// The profiles are YAML that the shared reader accepts, and the keys are the literal 44-character base64.
    func testProfilesAreValidYAMLWithLiteralKeys() throws {
        let topology = try Topology.parse(try Repository.text("examples/lab/seed.yaml"), file: "seed.yaml")
        let keys = Dictionary(uniqueKeysWithValues: topology.hosts.map { ($0.name, fixedKeyPair($0.name)) })
        for (host, text) in ProfileWriter.profiles(for: topology, keys: keys) {
            let root = try YAMLReader.readDocument(bytes: Array(text.utf8), documentName: "profile", contents: "keys")
            guard let entries = root.mappingEntries else { return XCTFail("\(host): not a mapping") }
            guard let key = entries.value(for: "private-key")?.scalarText else { return XCTFail("\(host): no key") }
            XCTAssertEqual(Key32(base64: key), keys[host]!.privateKey)
        }
    }

    /// A host on an extra net it shares with another host, not with the router (only router nets are links),
    /// on IPv6 with a non-default port: the shapes the seed does not have.
    static let routedTopology = """
        virtual-network: fd77::/64
        hosts:
          r: {role: router, virtual-ip: "fd77::1", listen-port: 51820}
          h: {virtual-ip: "fd77::2"}
          g: {virtual-ip: "fd77::3"}
        nets:
          hr0: {ends: [h e0 fd00:0::1/64, r e0 fd00:0::2/64]}
          hr1: {ends: [h e1 fd00:1::1/64, r e1 fd00:1::2/64], emulate: {delay: 5ms}}
          hg: {ends: [h e2 fd00:2::1/64, g e0 fd00:2::2/64]}
          gr: {ends: [g e1 fd00:3::1/64, r e2 fd00:3::2/64]}
        """

    /// Every profile the writer produces loads with the real loader, and the loaded model says what the
    /// topology says: role, keys, interface, links, the router's endpoints and its peers.
    func testTheLoaderReadsBackEveryWrittenProfile() throws {
        let topologies = [
            ("seed.yaml", try Repository.text("examples/lab/seed.yaml")),
            ("pair.yaml", try Repository.text("examples/lab/pair.yaml")),
            ("bench.yaml", try Repository.text("examples/lab/bench.yaml")),
            ("routed.yaml", Self.routedTopology),
        ]
        for (file, text) in topologies {
            let topology = try Topology.parse(text, file: file)
            let keys = Dictionary(uniqueKeysWithValues: topology.hosts.map { ($0.name, fixedKeyPair($0.name)) })
            let router = topology.router
            for (name, profileText) in ProfileWriter.profiles(for: topology, keys: keys) {
                let context = "\(file) \(name)"
                let host = try XCTUnwrap(topology.host(named: name), context)
                let profile: Profile
                do {
                    profile = try ProfileLoader.parse(text: profileText, path: "/nonexistent/\(name).yaml",
                                                      directory: "/nonexistent")
                } catch {
                    return XCTFail("\(context): the loader refused the written profile: \(error)\n\(profileText)")
                }
                XCTAssertEqual(profile.name, name, context)
                XCTAssertEqual(profile.role.rawValue, host.role.rawValue, context)
                XCTAssertEqual(profile.privateKey, keys[name]!.privateKey, context)
                XCTAssertEqual(profile.interface.name, host.tunName, context)
                XCTAssertEqual(profile.interface.address.address, host.virtualIP, context)
                XCTAssertEqual(profile.interface.address.prefixLength, topology.virtualNetwork.prefixLength, context)
                let sharedNets = topology.nets(touching: name).filter {
                    host.role == .router || $0.end(on: router.name) != nil
                }
                XCTAssertEqual(profile.links, sharedNets.map { $0.end(on: name)!.interface }, context)
                if host.role == .router {
                    XCTAssertEqual(profile.listenPort, router.listenPort, context)
                    let peers = topology.hosts.filter { $0.role != .router }
                    XCTAssertEqual(profile.peers.map(\.name), peers.map(\.name), context)
                    XCTAssertEqual(profile.peers.map(\.publicKey), peers.map { keys[$0.name]!.publicKey }, context)
                    XCTAssertNil(profile.router, context)
                } else {
                    let reference = try XCTUnwrap(profile.router, context)
                    XCTAssertEqual(reference.publicKey, keys[router.name]!.publicKey, context)
                    XCTAssertEqual(reference.virtualIP, router.virtualIP, context)
                    XCTAssertEqual(reference.endpoints, sharedNets.map {
                        Endpoint(host: .address($0.end(on: router.name)!.address.address), port: router.listenPort!)
                    }, context)
                    XCTAssertTrue(profile.peers.isEmpty, context)
                }
            }
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
