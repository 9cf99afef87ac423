import XCTest
@testable import MLinkProtocol

extension LinkPolicyTests {
    /// On failback the host keeps a copy on the backup for the overlap (make-before-break). Where the backup is the
    /// slower path, each of its copies arrives after the primary's, so the path of the host's newest data
    /// alternated between the two from tick to tick: the lab's router switched its downstream 16-20 times per
    /// failback ("following the host"). It follows once per host switch now.
    func testTheRouterFollowsTheHostOnceThroughAFailbackOverlapOnASlowerBackup() throws {
        let net = failoverNetwork(backupLatency: 13 * Time.millisecond)
        var next = flow(net, for: 2 * Time.second)
        let hostSwitches = net.routerPeer(of: Seed.vm0).failover.switches
        let routerSwitches = net.router.peers[Seed.routerPeerVM0].failover.switches
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0, "the primary carries")
        net.wire(0).isCut = true
        next = flow(net, for: 3 * Time.second, from: next)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 1, "taken over")
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].failover.active, 1, "the router followed")
        net.wire(0).isCut = false
        next = flow(net, for: 13 * Time.second, from: next)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.active, 0, "back on the primary")
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].failover.active, 0, "the router too")
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).failover.switches, hostSwitches + 2, "one takeover, one failback")
        XCTAssertEqual(net.router.peers[Seed.routerPeerVM0].failover.switches, routerSwitches + 2,
                       "the router followed each switch once")
        let delivered = net.nodes[Seed.vm2].deliveredSequences
        XCTAssertEqual(Set(delivered), Set(0..<next), "nothing lost")
    }
}
