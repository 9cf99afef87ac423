import MLinkControl
import XCTest
@testable import MLinkDaemon

/// The metrics text and the drop log, rendered from one status report with the counters' own names.
final class ReportRenderingTests: XCTestCase {
    var report: StatusReport {
        var r = StatusReport()
        r.interface = "ml-vm1"
        r.drops.malformed = 4
        r.drops.tunWrite = 2
        var peer = PeerReport()
        peer.name = "vm0"
        peer.counters.handshakes = 1
        peer.counters.sourceRejected = 3
        var c = ConnectionReport()
        c.link = "eth0"; c.state = .degraded; c.rttMilliseconds = 250
        c.counters.lost = 9
        peer.connections = [c]
        r.peers = [peer]
        return r
    }

    func testMetricNamesComeFromTheFieldLists() {
        let text = MetricsRenderer.render(report)
        for field in ConnectionCounts.fieldList {
            XCTAssertTrue(text.contains("# TYPE \(MetricsRenderer.metricName("mlink_connection", field)) counter\n"), field.name)
        }
        for field in PeerCounts.fieldList {
            XCTAssertTrue(text.contains("# TYPE \(MetricsRenderer.metricName("mlink_peer", field)) counter\n"), field.name)
        }
        for (name, _) in DropCounts().fields {
            XCTAssertTrue(text.contains("mlink_dropped_packets_total{interface=\"ml-vm1\",reason=\"\(name)\"}"), name)
        }
        // The names dashboards and 53-metrics.sh use.
        for line in ["mlink_peer_delivered_packets_total{interface=\"ml-vm1\",peer=\"vm0\"} 0\n",
                     "mlink_peer_source_rejected_packets_total{interface=\"ml-vm1\",peer=\"vm0\"} 3\n",
                     "mlink_connection_lost_packets_total{interface=\"ml-vm1\",peer=\"vm0\",link=\"eth0\",local=\"\",remote=\"\"} 9\n",
                     "mlink_connection_rtt_seconds{interface=\"ml-vm1\",peer=\"vm0\",link=\"eth0\",local=\"\",remote=\"\"} 0.25\n",
                     "mlink_connection_state{interface=\"ml-vm1\",peer=\"vm0\",link=\"eth0\",local=\"\",remote=\"\",state=\"degraded\"} 1\n",
                     "mlink_connection_up{interface=\"ml-vm1\",peer=\"vm0\",link=\"eth0\",local=\"\",remote=\"\"} 1\n",
                     "mlink_dropped_packets_total{interface=\"ml-vm1\",reason=\"tun_write\"} 2\n"] {
            XCTAssertTrue(text.contains(line), "missing \(line)")
        }
    }

    func testTheDropLogNamesWhatMovedOnce() {
        var log = DropReport()
        let first = log.lines(for: report).map(\.text)
        XCTAssertEqual(first, ["dropped in the last 10 s: 4 malformed, 2 tun_write",
                               "peer vm0: session established (1 handshakes so far)",
                               "peer vm0: 3 source_rejected (packets from outside its allowed-ips dropped)"])
        XCTAssertEqual(log.lines(for: report).map(\.text), [], "nothing moved since")
        var later = report
        later.drops.unknownKey = 5
        XCTAssertEqual(log.lines(for: later).map(\.text), ["dropped in the last 10 s: 5 unknown_key"])
    }
}
