import MLinkControl
import XCTest
@testable import MLinkCLI

/// `show`'s lease lines with replication (PROTOCOL.md §14.4): synced bindings name their router, one line per
/// router peer, the overlap error, and a host's routers.
final class StatusTextLeaseSyncTests: XCTestCase {
    func testSyncedBindingsAndRouterLines() {
        var report = StatusReport()
        var leases = LeaseReport()
        leases.pool = "10.77.0.0/24"; leases.allocate = "10.77.0.96/27"; leases.bound = 2; leases.free = 31
        var synced = LeaseEntry(address: "10.77.0.70", peer: "h1", publicKey: "K0", state: "bound", expiresIn: 60,
                                allocator: "r1")
        synced.synced = "r1"
        var provisional = LeaseEntry(address: "10.77.0.71", peer: "h2", publicKey: "K1", state: "bound", expiresIn: 60,
                                     allocator: "r1")
        provisional.synced = "r1"; provisional.provisional = true
        leases.table = [synced, provisional,
                        LeaseEntry(address: "10.77.0.97", peer: "h3", publicKey: "K2", state: "bound", expiresIn: 60,
                                   allocator: "r2")]
        var sync = LeaseSyncReport()
        var peer = LeaseSyncPeerReport(name: "r1")
        peer.slice = "10.77.0.64/26"; peer.tableReceived = true; peer.messagesSent = 3; peer.messagesReceived = 4
        peer.merged = 2; peer.conflicts = 1; peer.clockOffset = -40
        peer.problem = "slice 10.77.0.64/26 of router r1 overlaps ours (10.77.0.96/27); no new lease from 10.77.0.96/27"
        sync.routers = [peer]; sync.blocked = ["10.77.0.96/27"]
        leases.sync = sync
        report.leases = leases
        let text = StatusText.leaseText(report)
        XCTAssertTrue(text.contains("10.77.0.70  h1  bound  expires in 1m 0s  synced from r1\n"), text)
        XCTAssertTrue(text.contains("synced from r1 (provisional)\n"), text)
        XCTAssertTrue(text.contains("expires in 1m 0s  r2\n"), text)
        XCTAssertTrue(text.contains("  lease sync with r1: slice 10.77.0.64/26, table received, 3 sent, 4 received, "
                                    + "2 merged, 1 conflicts, clock -40 s off\n"), text)
        XCTAssertTrue(text.contains("    error: slice 10.77.0.64/26 of router r1 overlaps ours"), text)
        XCTAssertTrue(text.hasSuffix("  no new leases from: 10.77.0.96/27 (overlap)\n"), text)
    }

    func testHostRouters() {
        var report = StatusReport()
        var leases = LeaseReport()
        var host = HostLeaseReport()
        host.address = "10.77.0.70/24"; host.renewIn = 10; host.rebindIn = 20; host.expiresIn = 30
        host.routers = [HostRouterLeaseReport(name: "r1", state: "current"), HostRouterLeaseReport(name: "r2", state: "differs")]
        leases.host = host
        report.leases = leases
        XCTAssertTrue(StatusText.leaseText(report).hasSuffix("  lease at routers: r1 current, r2 differs\n"))
    }
}
