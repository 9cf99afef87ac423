import MLinkTypes
import XCTest
@testable import MLinkConfig

/// Router endpoints and metrics-listen in their address and name forms.
final class EndpointFieldTests: XCTestCase {
    private func host(endpoints: String, extra: String = "") throws -> Profile {
        let text = ProfileTexts.host.replacingOccurrences(of: "[192.168.0.3:7000]", with: endpoints) + extra
        return try ProfileLoader.parse(text: text, path: "vm0.yaml", directory: ".")
    }

    func testBracketedIPv6Endpoint() throws {
        let endpoint = try XCTUnwrap(host(endpoints: "['[fd00::1]:7000']").router?.endpoints.first)
        XCTAssertEqual(endpoint.host, .address(try XCTUnwrap(IPAddress("fd00::1"))))
        XCTAssertEqual(endpoint.port, 7000)
    }

    /// A leading `[` starts a YAML flow list, so an unquoted `[fd00::1]:7000` must fail loudly, not parse oddly.
    func testUnquotedBracketedEndpointIsRefused() throws {
        let text = ProfileTexts.host.replacingOccurrences(of: "  endpoints: [192.168.0.3:7000]\n",
                                                          with: "  endpoints:\n    - [fd00::1]:7000\n")
        XCTAssertThrowsError(try ProfileLoader.parse(text: text, path: "vm0.yaml", directory: ".")) { error in
            XCTAssertEqual((error as? ProfileError)?.description, "vm0.yaml:9:16: yaml: did not find expected '-' "
                           + "indicator (while parsing a block collection at line 9, column 5)")
        }
    }

    func testDNSNameEndpoint() throws {
        let profile = try host(endpoints: "[router.example.net:7000, 192.168.1.3:7001]")
        XCTAssertEqual(profile.router?.endpoints, [Endpoint(host: .name("router.example.net"), port: 7000),
                                                   Endpoint(host: .address(try XCTUnwrap(IPAddress("192.168.1.3"))), port: 7001)])
    }

    func testDuplicateEndpointIsRefused() {
        XCTAssertThrowsError(try host(endpoints: "[192.168.0.3:7000, 192.168.0.3:7000]")) { error in
            XCTAssertEqual((error as? ProfileError)?.description,
                           "vm0.yaml:8:33: router.endpoints[1]: '192.168.0.3:7000' is listed twice (also router.endpoints[0])")
        }
    }

    func testEndpointWithoutPort() {
        XCTAssertThrowsError(try host(endpoints: "[192.168.0.3]")) { error in
            XCTAssertEqual((error as? ProfileError)?.problem, "'192.168.0.3' is not HOST:PORT: missing :port")
        }
    }

    func testMetricsListenWithLiteralAddresses() throws {
        XCTAssertEqual(try host(endpoints: "[192.168.0.3:7000]", extra: "metrics-listen: 127.0.0.1:9477\n").metricsListen,
                       Endpoint(host: .address(try XCTUnwrap(IPAddress("127.0.0.1"))), port: 9477))
        XCTAssertEqual(try host(endpoints: "[192.168.0.3:7000]", extra: "metrics-listen: '[::1]:9477'\n").metricsListen,
                       Endpoint(host: .address(try XCTUnwrap(IPAddress("::1"))), port: 9477))
    }
}
