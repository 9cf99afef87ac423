import ArgumentParser
import MLinkControl
import XCTest
@testable import MLinkCLI

/// `show`'s text form and `--watch` options, from a hand-made report (StatusTextRoundTripTests starts from an engine).
final class StatusTextTests: XCTestCase {
    var report: StatusReport {
        var r = StatusReport()
        r.interface = "ml-vm0"; r.name = "vm0"; r.role = "host"; r.address = "10.77.0.10/24"; r.mode = "redundant"
        r.publicKey = "PUB"
        r.links = [LinkReport(link: "wwan0", local: "10.64.1.7:4000")]
        r.sourceRouting = [SourceRouteReport(link: "wwan0", from: "10.64.1.7", table: 10900, gateway: "10.64.1.1")]
        r.metricsListen = "127.0.0.1:9477"
        var peer = PeerReport()
        peer.name = "router"; peer.publicKey = "RPUB"; peer.virtualAddresses = ["10.77.0.1/32"]
        peer.rxBytes = 2048; peer.txBytes = 3 * 1024 * 1024
        peer.counters.delivered = 10; peer.counters.duplicates = 9
        var up = ConnectionReport()
        up.link = "wwan0"; up.local = "10.64.1.7:4000"; up.remote = "203.0.113.10:7000"; up.state = .up
        up.rttMilliseconds = 41.5; up.jitterMilliseconds = 3.25; up.loss = 0.02; up.firstShare = 0.75
        up.counters.txBytes = 1000; up.counters.rxBytes = 2048
        var probing = ConnectionReport()
        probing.link = "eth0"; probing.local = "192.168.0.2:4001"; probing.remote = "203.0.113.10:7000"
        probing.loss = 1; probing.counters.txBytes = 96
        peer.connections = [up, probing]
        r.peers = [peer]
        return r
    }

    func testRendersTheWgShowShape() {
        let text = StatusText.render(report, wallNow: 0)
        for line in ["interface: ml-vm0", "  virtual address: 10.77.0.10/24", "  mode: redundant",
                     "  source routing: wwan0 from 10.64.1.7 table 10900 via 10.64.1.1",
                     "  metrics: http://127.0.0.1:9477/metrics", "peer: router", "  virtual addresses: 10.77.0.1/32",
                     "  latest handshake: never", "  transfer: 2.00 KiB received, 3.00 MiB sent",
                     "  packets: 10 delivered, 9 duplicates dropped, 0 too old",
                     "    wwan0  10.64.1.7:4000 -> 203.0.113.10:7000    up       rtt 41.50 ms  jitter 3.25 ms  "
                        + "loss 2.0%    sent 1000 B  received 2.00 KiB  first 75.0%",
                     "    eth0   192.168.0.2:4001 -> 203.0.113.10:7000  probing  rtt -         jitter -        "
                        + "loss 100.0%  sent 96 B    received 0 B       first 0.0%"] {
            XCTAssertTrue(text.split(separator: "\n").contains(Substring(line)), "missing '\(line)' in\n\(text)")
        }
    }

    func testFixedPointRoundsHalfAwayFromZero() {
        for (value, digits, expected) in [(41.5, 2, "41.50"), (3.25, 2, "3.25"), (0.0, 2, "0.00"), (99.95, 1, "100.0"),
                                          (0.049, 1, "0.0"), (2.0, 1, "2.0"), (1023.999, 2, "1024.00"), (-1.25, 1, "-1.3"),
                                          (Double.nan, 2, "-")] {
            XCTAssertEqual(StatusText.fixed(value, digits: digits), expected, "\(value) with \(digits) digits")
        }
        XCTAssertEqual(StatusText.bytes(1536), "1.50 KiB")
        XCTAssertEqual(StatusText.bytes(1023), "1023 B")
    }

    func testWatchTakesAnIntervalInRange() throws {
        let watch = try XCTUnwrap(try MLinkCommand.parseAsRoot(["show", "--watch", "--interval", "0.5"]) as? MLinkCommand.Show)
        XCTAssertTrue(watch.watch)
        XCTAssertEqual(watch.interval, 0.5)
        XCTAssertThrowsError(try MLinkCommand.parseAsRoot(["show", "--watch", "--interval", "0"]))
    }
}
