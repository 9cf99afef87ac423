import ArgumentParser
import XCTest
@testable import MLinkCLI

/// `show`'s text form and `--watch` options, from a status document as the core writes it.
final class StatusTextTests: XCTestCase {
    let document: [String: Any] = [
        "interface": "ml-vm0", "name": "vm0", "role": "host", "address": "10.77.0.10/24", "mode": "redundant",
        "public_key": "PUB", "links": [["link": "wwan0", "local": "10.64.1.7:4000"]],
        "source_routing": [["link": "wwan0", "from": "10.64.1.7", "table": 10900, "gateway": "10.64.1.1"]],
        "metrics_listen": "127.0.0.1:9477",
        "peers": [[
            "name": "router", "public_key": "RPUB", "virtual_addresses": ["10.77.0.1/32"],
            "rx_bytes": 2048, "tx_bytes": 3 * 1024 * 1024, "delivered": 10, "duplicates": 9, "too_old": 0,
            "connections": [
                ["link": "wwan0", "local": "10.64.1.7:4000", "remote": "203.0.113.10:7000", "state": "up",
                 "rtt_ms": 41.5, "jitter_ms": 3.25, "loss": 0.02, "tx_bytes": 1000, "rx_bytes": 2048,
                 "first_share": 0.75],
                ["link": "eth0", "local": "192.168.0.2:4001", "remote": "203.0.113.10:7000", "state": "probing",
                 "rtt_ms": 0.0, "jitter_ms": 0.0, "loss": 1.0, "tx_bytes": 96, "rx_bytes": 0, "first_share": 0.0],
            ],
        ]],
    ]

    func testRendersTheWgShowShape() {
        let text = StatusText.render(document)
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

    func testWatchTakesAnIntervalInRange() throws {
        let watch = try XCTUnwrap(try MLinkCommand.parseAsRoot(["show", "--watch", "--interval", "0.5"]) as? MLinkCommand.Show)
        XCTAssertTrue(watch.watch)
        XCTAssertEqual(watch.interval, 0.5)
        XCTAssertThrowsError(try MLinkCommand.parseAsRoot(["show", "--watch", "--interval", "0"]))
    }
}
