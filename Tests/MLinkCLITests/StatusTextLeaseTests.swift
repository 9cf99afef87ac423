import MLinkControl
import XCTest
@testable import MLinkCLI

/// The lease lines of `show`: a host's lease and timers or its refusal, a router's pool and table.
final class StatusTextLeaseTests: XCTestCase {
    func testHostLease() {
        var report = StatusReport()
        var leases = LeaseReport()
        var host = HostLeaseReport()
        host.address = "10.77.0.37/24"; host.renewIn = 1799.6; host.rebindIn = 3149; host.expiresIn = 3599
        leases.host = host
        report.leases = leases
        XCTAssertEqual(StatusText.leaseText(report),
                       "  lease: 10.77.0.37/24, renew in 29m 59s, rebind in 52m 29s, expires in 59m 59s\n")
        report.leases?.host = HostLeaseReport()
        XCTAssertEqual(StatusText.leaseText(report), "  lease: none yet\n")
        report.leases?.host?.lastRefusal = "pool-exhausted"
        XCTAssertEqual(StatusText.leaseText(report), "  lease: none (refused: pool-exhausted)\n")
        XCTAssertEqual(StatusText.leaseText(StatusReport()), "", "no lease service, no lines")
    }

    func testRouterTableLikeIpNeigh() {
        var report = StatusReport()
        var leases = LeaseReport()
        leases.pool = "10.77.0.0/24"; leases.allocate = "10.77.0.16/28"
        leases.bound = 1; leases.hold = 1; leases.free = 12; leases.exhaustedRefusals = 2
        leases.table = [
            LeaseEntry(address: "10.77.0.17", peer: "vm0", publicKey: "K0", state: "bound", expiresIn: 3600, allocator: "r1"),
            LeaseEntry(address: "10.77.0.30", peer: "-", publicKey: "K1", state: "hold", expiresIn: -7200, allocator: "r1"),
        ]
        report.leases = leases
        XCTAssertEqual(StatusText.leaseText(report), """
              address pool: 10.77.0.0/24, allocating 10.77.0.16/28: 1 bound, 1 hold, 0 declined, 12 free, 2 refused (pool-exhausted)
              leases:
                10.77.0.17  vm0  bound  expires in 1h 0m 0s   r1
                10.77.0.30  -    hold   expired 2h 0m 0s ago  r1

            """)
    }
}
