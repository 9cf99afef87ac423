import Foundation
import MLinkControl
import XCTest
@testable import MLinkCLI

/// Several routers in `show`: the host's current router line, each peer's mesh line, and the JSON round trip.
final class StatusTextRoutersTests: XCTestCase {
    func testAHostShowsItsCurrentRouterAndEachRoutersPart() throws {
        var report = StatusReport()
        report.interface = "ml-hm"
        var choice = RouterChoiceReport()
        choice.current = "r2"
        choice.switches = 1
        choice.lastSwitch = 1000
        choice.holdDown = 30
        report.routerChoice = choice
        var r1 = PeerReport(), r2 = PeerReport()
        r1.name = "r1"; r2.name = "r2"
        var m1 = PeerMeshReport(), m2 = PeerMeshReport()
        m1.role = "router"; m1.dialled = true; m1.preference = 0; m1.current = false
        m2.role = "router"; m2.dialled = true; m2.preference = 10; m2.current = true; m2.liveFor = 41.4
        r1.mesh = m1; r2.mesh = m2
        report.peers = [r1, r2]
        let text = StatusText.render(report, wallNow: 1012)
        XCTAssertTrue(text.contains("  current router: r2, 1 switches, last 12 seconds ago, hold-down 30 s\n"), text)
        XCTAssertTrue(text.contains("peer: r1\n  public key: \n  mesh: router, dialled, preference 0, standby, not live\n"), text)
        XCTAssertTrue(text.contains("  mesh: router, dialled, preference 10, current, live 41 s\n"), text)
        let json = try JSONEncoder().encode(report)
        XCTAssertEqual(try JSONDecoder().decode(StatusReport.self, from: json), report)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual((object["router_choice"] as? [String: Any])?["current"] as? String, "r2")
        let peers = try XCTUnwrap(object["peers"] as? [[String: Any]])
        XCTAssertEqual((peers[1]["mesh"] as? [String: Any])?["live_for_s"] as? Double, 41.4)
        XCTAssertNil((peers[0]["mesh"] as? [String: Any])?["live_for_s"], "not live: left out")
    }

    func testARouterShowsWhatItsHostPrefersAndNothingWithoutAMesh() {
        var peer = PeerReport()
        var mesh = PeerMeshReport()
        mesh.preferred = false
        peer.mesh = mesh
        XCTAssertEqual(StatusText.meshLine(peer), "  mesh: host, answered, sends through another router\n")
        XCTAssertEqual(StatusText.meshLine(PeerReport()), "")
        XCTAssertEqual(StatusText.routerChoiceLine(StatusReport(), wallNow: 0), "")
    }
}
