import Foundation
import MLinkControl
import XCTest
@testable import MLinkCLI

/// The `routes:` block of `show` and its JSON round trip.
final class StatusTextRoutesTests: XCTestCase {
    func testTheRoutesBlockShowsVerdictsDecisionsAndPrimaries() throws {
        var routes = RoutesReport()
        routes.announcements = [
            AnnouncementReport(prefix: "192.168.50.0/24", preference: 100, whileRoute: true, verdict: "active"),
            AnnouncementReport(prefix: "172.16.60.0/24", preference: 100, whileRoute: false, verdict: "not-allowed"),
        ]
        routes.distributed = [DistributedRouteReport(prefix: "192.168.50.0/24", pushed: false, installed: false,
                                                     reason: "overlaps", detail: "skipped: overlaps 192.168.50.0/24 on lan0")]
        routes.shared = [SharedPrefixReport(prefix: "192.168.50.0/24", primary: "vm2", standbys: ["vm3"], failovers: 1)]
        routes.kernel = ["192.168.50.0/24 dev ml-vm1 proto 109"]
        routes.active = 1
        routes.refused = ["not-allowed": 1]
        routes.failovers = 1
        let text = StatusText.routes(routes)
        XCTAssertTrue(text.contains("    192.168.50.0/24  preference 100 while-route  active\n"), text)
        XCTAssertTrue(text.contains("    172.16.60.0/24   preference 100              not-allowed\n"), text)
        XCTAssertTrue(text.contains("    192.168.50.0/24  skipped: overlaps 192.168.50.0/24 on lan0\n"), text)
        XCTAssertTrue(text.contains("    192.168.50.0/24  primary vm2  standby vm3  failovers 1\n"), text)
        XCTAssertTrue(text.contains("  active: 1, failovers: 1, refused: not-allowed 1\n"), text)
        XCTAssertEqual(StatusText.routes(nil), "")

        var report = StatusReport()
        report.routes = routes
        let json = try JSONEncoder().encode(report)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let inner = try XCTUnwrap(object["routes"] as? [String: Any])
        XCTAssertEqual((inner["announcements"] as? [[String: Any]])?.first?["while_route"] as? Bool, true)
        XCTAssertEqual(try JSONDecoder().decode(StatusReport.self, from: json).routes, routes)
        let empty = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(StatusReport())) as? [String: Any])
        XCTAssertNil(empty["routes"], "no routes key without a routes report")
    }
}
