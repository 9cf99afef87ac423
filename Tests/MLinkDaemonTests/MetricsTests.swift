import XCTest
@testable import MLinkDaemon

/// The exposition text and the HTTP answers of the metrics endpoint, without sockets.
final class MetricsTests: XCTestCase {
    func testSamplesFollowTheTextFormat() {
        var text = MetricsText()
        text.family("mlink_connection_rtt_seconds", .gauge, "Smoothed RTT.")
        text.sample("mlink_connection_rtt_seconds", [("link", "wwan0"), ("remote", "a\"b\\c\nd")], 0.25)
        text.family("mlink_connection_tx_bytes_total", .counter, "Bytes.")
        text.sample("mlink_connection_tx_bytes_total", [], 1234)
        XCTAssertEqual(text.text, """
            # HELP mlink_connection_rtt_seconds Smoothed RTT.
            # TYPE mlink_connection_rtt_seconds gauge
            mlink_connection_rtt_seconds{link="wwan0",remote="a\\"b\\\\c\\nd"} 0.25
            # HELP mlink_connection_tx_bytes_total Bytes.
            # TYPE mlink_connection_tx_bytes_total counter
            mlink_connection_tx_bytes_total 1234

            """)
    }

    func response(_ request: String) -> String? {
        MetricsServer.response(to: Array(request.utf8)) { "body\n" }.map { String(decoding: $0, as: UTF8.self) }
    }

    func testAnswersOnlyACompleteGetOfMetrics() {
        XCTAssertNil(response("GET /metrics HTTP/1.1\r\nHost: x\r\n"), "head not complete yet")
        let ok = response("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(ok?.hasPrefix("HTTP/1.1 200 OK\r\n"), true)
        XCTAssertEqual(ok?.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), true)
        XCTAssertEqual(ok?.contains("Content-Length: 5\r\n"), true)
        XCTAssertEqual(ok?.hasSuffix("\r\n\r\nbody\n"), true)
        XCTAssertEqual(response("GET / HTTP/1.0\n\n")?.hasPrefix("HTTP/1.1 404"), true)
        XCTAssertEqual(response("POST /metrics HTTP/1.1\r\n\r\n")?.hasPrefix("HTTP/1.1 405"), true)
        XCTAssertEqual(response("HEAD /metrics HTTP/1.1\r\n\r\n")?.hasSuffix("\r\n\r\n"), true)
        XCTAssertEqual(response("\r\n\r\n")?.hasPrefix("HTTP/1.1 400"), true)
    }
}
