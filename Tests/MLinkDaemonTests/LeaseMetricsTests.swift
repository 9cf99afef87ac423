import MLinkControl
import XCTest
@testable import MLinkDaemon

/// The lease families of the metrics endpoint, from a hand-made report.
final class LeaseMetricsTests: XCTestCase {
    func testRouterAndHostFamilies() {
        var report = StatusReport()
        report.interface = "ml-r1"
        var leases = LeaseReport()
        leases.pool = "10.77.0.0/24"; leases.bound = 15; leases.hold = 2; leases.free = 0; leases.exhaustedRefusals = 3
        report.leases = leases
        let text = MetricsRenderer.render(report)
        for line in ["mlink_leases{interface=\"ml-r1\",state=\"bound\"} 15", "mlink_leases{interface=\"ml-r1\",state=\"hold\"} 2",
                     "mlink_pool_free{interface=\"ml-r1\"} 0",
                     "mlink_lease_refusals_total{interface=\"ml-r1\",reason=\"pool-exhausted\"} 3",
                     "# TYPE mlink_lease_refusals_total counter", "# TYPE mlink_pool_free gauge"] {
            XCTAssertTrue(text.contains(line + "\n"), "missing \(line)")
        }
        XCTAssertFalse(text.contains("mlink_lease_expiry_seconds"), "a router has no host lease")

        var host = StatusReport()
        host.interface = "ml-vm0"
        var hostLeases = LeaseReport()
        var lease = HostLeaseReport()
        lease.expiresIn = 120
        hostLeases.host = lease
        host.leases = hostLeases
        let hostText = MetricsRenderer.render(host)
        XCTAssertTrue(hostText.contains("mlink_lease_expiry_seconds{interface=\"ml-vm0\"} 120\n"))
        XCTAssertFalse(hostText.contains("mlink_pool_free"))
        XCTAssertFalse(MetricsRenderer.render(StatusReport()).contains("mlink_lease"), "no lease service, no families")
    }
}
