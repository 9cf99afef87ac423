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
        lease.answers = 4
        hostLeases.host = lease
        host.leases = hostLeases
        let hostText = MetricsRenderer.render(host)
        XCTAssertTrue(hostText.contains("mlink_lease_expiry_seconds{interface=\"ml-vm0\"} 120\n"))
        XCTAssertTrue(hostText.contains("mlink_lease_answers_total{interface=\"ml-vm0\"} 4\n"))
        XCTAssertFalse(hostText.contains("mlink_pool_free"))
        XCTAssertFalse(MetricsRenderer.render(StatusReport()).contains("mlink_lease"), "no lease service, no families")
    }
}

/// The LEASE_SYNC families (PROTOCOL.md §14.4).
final class LeaseSyncMetricsTests: XCTestCase {
    func testSyncFamilies() {
        var report = StatusReport()
        report.interface = "ml-r2"
        var leases = LeaseReport()
        leases.pool = "10.77.0.0/24"
        var sync = LeaseSyncReport()
        var peer = LeaseSyncPeerReport(name: "r1")
        peer.messagesSent = 5; peer.messagesReceived = 7; peer.merged = 11; peer.conflicts = 2; peer.refused = 3
        sync.routers = [peer]; sync.overlaps = 1
        leases.sync = sync
        report.leases = leases
        let text = MetricsRenderer.render(report)
        for line in ["mlink_lease_sync_messages_total{interface=\"ml-r2\",router=\"r1\",direction=\"sent\"} 5",
                     "mlink_lease_sync_messages_total{interface=\"ml-r2\",router=\"r1\",direction=\"received\"} 7",
                     "mlink_lease_sync_merges_total{interface=\"ml-r2\",router=\"r1\"} 11",
                     "mlink_lease_conflicts_total{interface=\"ml-r2\",router=\"r1\"} 2",
                     "mlink_lease_sync_refused_total{interface=\"ml-r2\",router=\"r1\"} 3",
                     "mlink_lease_slice_overlaps_total{interface=\"ml-r2\"} 1", "# TYPE mlink_lease_conflicts_total counter"] {
            XCTAssertTrue(text.contains(line + "\n"), "missing \(line)")
        }
        report.leases?.sync = nil
        XCTAssertFalse(MetricsRenderer.render(report).contains("mlink_lease_sync"), "no replication, no families")
    }
}

/// The policy-class families: what each class's traffic cost, by purpose.
final class ClassMetricsTests: XCTestCase {
    func testEveryClassHasItsPacketsAndEveryPurpose() {
        var report = StatusReport()
        report.interface = "ml-vm0"
        var policies = PolicyStatus()
        policies.classes = [PolicyUsageReport(name: "voice", packets: 50, dataBytes: 9000, duplicateBytes: 9000, parityBytes: 0),
                            PolicyUsageReport(name: "default", packets: 7, dataBytes: 7000, duplicateBytes: 0, parityBytes: 700,
                                              repairBytes: 1000, replayBytes: 2000)]
        report.policies = policies
        let text = MetricsRenderer.render(report)
        for line in ["# TYPE mlink_class_bytes_total counter", "mlink_class_packets_total{interface=\"ml-vm0\",class=\"voice\"} 50",
                     "mlink_class_bytes_total{interface=\"ml-vm0\",class=\"voice\",purpose=\"duplicate\"} 9000",
                     "mlink_class_bytes_total{interface=\"ml-vm0\",class=\"default\",purpose=\"parity\"} 700",
                     "mlink_class_bytes_total{interface=\"ml-vm0\",class=\"default\",purpose=\"repair\"} 1000",
                     "mlink_class_bytes_total{interface=\"ml-vm0\",class=\"default\",purpose=\"replay\"} 2000"] {
            XCTAssertTrue(text.contains(line + "\n"), "missing \(line)")
        }
        XCTAssertEqual(text.components(separatedBy: "mlink_class_bytes_total{").count - 1, 10, "5 purposes x 2 classes")
        XCTAssertFalse(MetricsRenderer.render(StatusReport()).contains("mlink_class"), "no policies, no families")
    }
}
