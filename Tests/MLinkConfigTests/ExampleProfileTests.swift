import MLinkTypes
import XCTest
@testable import MLinkConfig

/// The seed profiles in examples/ load, field by field, and their keys pair up.
final class ExampleProfileTests: XCTestCase {
    static let vm0Private = "YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c="
    static let vm0Public = "XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM="
    static let vm1Private = "6Moq/6LXBia4nBsrNWgMUVb4AgBpEAryCYxnvmVLG3s="
    static let vm1Public = "pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI="
    static let vm2Private = "EHMou+sYWkcdrJot+mXQ09LzXtohx4ftgpRh+UNVwWE="
    static let vm2Public = "GCntwA0vr+JI2RC7/o3yQXX8ZfMu7kvVbGbTzDnAUhk="

    private func load(_ name: String) throws -> Profile {
        try ProfileLoader.load(path: "\(FixturePaths.examples)/\(name).yaml")
    }

    private func key(_ base64: String) throws -> Key32 { try XCTUnwrap(Key32(base64: base64)) }
    private func endpoint(_ text: String) throws -> Endpoint { try Endpoint.parse(text).get() }
    private func network(_ text: String) throws -> IPNetwork { try XCTUnwrap(IPNetwork(text)) }

    func testHostVM0() throws {
        let profile = try load("vm0")
        XCTAssertEqual(profile.path, "\(FixturePaths.examples)/vm0.yaml")
        XCTAssertEqual(profile.name, "vm0")
        XCTAssertEqual(profile.role, .host)
        XCTAssertEqual(profile.privateKey, try key(Self.vm0Private))
        XCTAssertEqual(profile.interface.name, "ml-vm0")
        XCTAssertEqual(profile.interface.address, try network("10.77.0.10/24"))
        XCTAssertNil(profile.interface.mtu)
        XCTAssertEqual(profile.links, ["enp0s3", "enp0s8"])
        XCTAssertEqual(profile.mode, .redundant)
        XCTAssertEqual(profile.keepaliveSeconds, 25)
        let router = try XCTUnwrap(profile.router)
        XCTAssertEqual(router.publicKey, try key(Self.vm1Public))
        XCTAssertEqual(router.endpoints, [try endpoint("192.168.0.3:7000"), try endpoint("192.168.1.3:7000")])
        XCTAssertEqual(router.virtualIP, IPAddress("10.77.0.1"))
        XCTAssertEqual(router.routes, [])
        XCTAssertNil(profile.listenPort)
        XCTAssertEqual(profile.peers, [])
        XCTAssertNil(profile.metricsListen)
    }

    func testRouterVM1() throws {
        let profile = try load("vm1")
        XCTAssertEqual(profile.name, "vm1")
        XCTAssertEqual(profile.role, .router)
        XCTAssertEqual(profile.privateKey, try key(Self.vm1Private))
        XCTAssertEqual(profile.interface, Profile.InterfaceSettings(name: "ml-vm1", address: try network("10.77.0.1/24"), mtu: nil))
        XCTAssertEqual(profile.links, ["enp0s3", "enp0s8", "enp0s9", "enp0s10"])
        XCTAssertEqual(profile.mode, .redundant)
        XCTAssertEqual(profile.keepaliveSeconds, 25)
        XCTAssertNil(profile.router)
        XCTAssertEqual(profile.listenPort, 7000)
        XCTAssertEqual(profile.peers, [
            Profile.PeerSettings(name: "vm0", publicKey: try key(Self.vm0Public), allowedIPs: [try network("10.77.0.10/32")]),
            Profile.PeerSettings(name: "vm2", publicKey: try key(Self.vm2Public), allowedIPs: [try network("10.77.0.20/32")]),
        ])
        XCTAssertNil(profile.metricsListen)
    }

    func testHostVM2() throws {
        let profile = try load("vm2")
        XCTAssertEqual(profile.name, "vm2")
        XCTAssertEqual(profile.role, .host)
        XCTAssertEqual(profile.privateKey, try key(Self.vm2Private))
        XCTAssertEqual(profile.interface, Profile.InterfaceSettings(name: "ml-vm2", address: try network("10.77.0.20/24"), mtu: nil))
        XCTAssertEqual(profile.links, ["enp0s3", "enp0s8"])
        XCTAssertEqual(profile.router, Profile.RouterReference(
            publicKey: try key(Self.vm1Public),
            endpoints: [try endpoint("192.168.2.3:7000"), try endpoint("192.168.3.3:7000")],
            virtualIP: try XCTUnwrap(IPAddress("10.77.0.1")), routes: []))
        XCTAssertNil(profile.listenPort)
        XCTAssertEqual(profile.peers, [])
    }

    /// Each host names the router's public key and the router names each host's: the set works as shipped.
    func testExampleKeysPairUp() throws {
        let vm0 = try load("vm0"), vm1 = try load("vm1"), vm2 = try load("vm2")
        XCTAssertEqual(vm0.router?.publicKey, vm2.router?.publicKey)
        XCTAssertEqual(vm1.peers.map(\.name), ["vm0", "vm2"])
        XCTAssertNotEqual(vm0.privateKey, vm1.privateKey)
        XCTAssertNotEqual(vm2.privateKey, vm1.privateKey)
        for peer in vm1.peers {
            let host = peer.name == "vm0" ? vm0 : vm2
            XCTAssertTrue(peer.allowedIPs.contains { $0.contains(host.interface.address.address) })
            XCTAssertEqual(host.router?.virtualIP, vm1.interface.address.address)
        }
    }
}
