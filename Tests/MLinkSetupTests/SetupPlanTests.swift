import MLinkConfig
import MLinkNetlink
import MLinkTypes
import XCTest
@testable import MLinkSetup

/// The plan `check` prints and `up` applies: MTU, routes and the order of the steps, from real profiles.
final class SetupPlanTests: XCTestCase {
    let present = [link("enp0s3", index: 2, mtu: 1500), link("enp0s8", index: 3, mtu: 1420),
                   link("wlan0", index: 4, mtu: 1280)]

    func testRouterRoutesEachPeersPrefixesOutsideItsConnectedNetwork() throws {
        let plan = SetupPlan(profile: try Profiles.load(Profiles.router), presentLinks: present)
        XCTAssertEqual(plan.routes.map(\.description), ["192.168.50.0/24", "10.60.0.0/24"],
                       "the hosts' /32s in 10.77.0.0/24 are the daemon's, present while each host is up")
        XCTAssertEqual(plan.links, ["enp0s3", "enp0s8"], "wlan0 is not among the profile's links")
        XCTAssertEqual(plan.mtu, 1420 - 72, "smallest allowed link (wlan0's 1280 does not count) minus IPv4 overhead")
        XCTAssertEqual(plan.mtuSource, "smallest link MTU 1420 minus 72 bytes of tunnel overhead")
    }

    func testStepsComeInTheOrderUpMakesThem() throws {
        let plan = SetupPlan(profile: try Profiles.load(Profiles.router), presentLinks: present)
        XCTAssertEqual(plan.steps.map(\.ipCommand), [
            "ip tuntap add mode tun name ml-vm1",
            "ip link set mtu 1348 dev ml-vm1",
            "ip address add 10.77.0.1/24 dev ml-vm1",
            "ip link set up dev ml-vm1",
            "ip route add 192.168.50.0/24 dev ml-vm1 proto 109",
            "ip route add 10.60.0.0/24 dev ml-vm1 proto 109",
        ])
        XCTAssertEqual(plan.annotatedCommands[1],
                       "[#] ip link set mtu 1348 dev ml-vm1    # smallest link MTU 1420 minus 72 bytes of tunnel overhead")
    }

    func testHostRoutesTheRoutersPrefixesMaskedAndTakesItsMTUFromTheProfile() throws {
        let profile = try Profiles.load(Profiles.host(extra: "  mtu: 1300"))
        let plan = SetupPlan(profile: profile, presentLinks: present)
        XCTAssertEqual(plan.mtu, 1300)
        XCTAssertEqual(plan.mtuSource, "from the profile")
        XCTAssertEqual(plan.steps.suffix(2), [.addRoute(IPNetwork("10.99.0.0/24")!, device: "ml-vm0", protocolNumber: 109),
                                              .addRoute(IPNetwork("0.0.0.0/0")!, device: "ml-vm0", protocolNumber: 109)])
        XCTAssertEqual(plan.steps.last?.ipCommand, "ip route add default dev ml-vm0 proto 109")
    }

    func testAnIPv6EndpointCostsTheIPv6OverheadAndNoLinkMeans1500() throws {
        let profile = try Profiles.load(Profiles.host(endpoints: "[\"[2001:db8::3]:7000\"]"))
        XCTAssertEqual(SetupPlan(profile: profile, presentLinks: present).mtu, 1420 - 92)
        XCTAssertEqual(SetupPlan(profile: profile, presentLinks: []).mtu, 1500 - 92)
        XCTAssertEqual(SetupPlan(profile: profile, presentLinks: []).links, [])
    }
}
