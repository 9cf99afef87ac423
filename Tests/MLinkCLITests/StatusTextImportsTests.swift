@testable import MLinkCLI
import MLinkControl
import XCTest

/// The `imported routes:` block of a router with router peers.
final class StatusTextImportsTests: XCTestCase {
    func testImportedAndRefusedRoutes() {
        var report = ImportsReport()
        report.imported = [ImportedRouteReport(prefix: "10.77.0.30/32", router: "r3", gateway: "10.77.0.3", proto: "bird", metric: 32)]
        report.refusedRoutes = [RefusedImportReport(prefix: "192.168.0.0/16", gateway: "10.77.0.1", proto: "bird", reason: "capture")]
        report.refusedTotal = ["capture": 2, "martian": 0]
        XCTAssertEqual(StatusText.imports(report), """

            imported routes:
              10.77.0.30/32  via r3 (10.77.0.3)  proto bird  metric 32
              192.168.0.0/16  via 10.77.0.1  proto bird  refused: capture
              imported: 1, refused: capture 2

            """)
        XCTAssertEqual(StatusText.imports(nil), "")
    }
}
