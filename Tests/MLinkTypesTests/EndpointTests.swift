import MLinkTypes
import XCTest

final class EndpointTests: XCTestCase {
    private func parsed(_ text: String) -> Endpoint? {
        if case .success(let endpoint) = Endpoint.parse(text) { return endpoint }
        return nil
    }

    private func error(_ text: String) -> Endpoint.ParseError? {
        if case .failure(let error) = Endpoint.parse(text) { return error }
        return nil
    }

    func testIPv4() {
        let endpoint = parsed("192.168.0.3:7000")
        XCTAssertEqual(endpoint, Endpoint(host: .address(IPAddress("192.168.0.3")!), port: 7000))
        XCTAssertEqual(endpoint?.description, "192.168.0.3:7000")
        XCTAssertEqual(parsed("1.2.3.4:1")?.port, 1)
        XCTAssertEqual(parsed("1.2.3.4:65535")?.port, 65535)
    }

    func testBracketedIPv6() {
        let endpoint = parsed("[fd00::1]:7000")
        XCTAssertEqual(endpoint, Endpoint(host: .address(IPAddress("fd00::1")!), port: 7000))
        XCTAssertEqual(endpoint?.description, "[fd00::1]:7000")
        XCTAssertEqual(parsed("[2001:DB8:0::1]:51820")?.description, "[2001:db8::1]:51820")
        XCTAssertEqual(parsed("[::ffff:192.0.2.1]:7000")?.host, .address(IPAddress("::ffff:192.0.2.1")!))
    }

    func testDNSNames() {
        XCTAssertEqual(parsed("router.example.net:7000"), Endpoint(host: .name("router.example.net"), port: 7000))
        XCTAssertEqual(parsed("router.example.net:7000")?.description, "router.example.net:7000")
        XCTAssertEqual(parsed("localhost:1")?.host, .name("localhost"))
        XCTAssertEqual(parsed("a-b.c0:9")?.host, .name("a-b.c0"))
        XCTAssertEqual(parsed("1a.example:9")?.host, .name("1a.example"))
        XCTAssertEqual(parsed(String(repeating: "a", count: 63) + ".net:7")?.port, 7)
    }

    func testErrors() {
        XCTAssertEqual(error("192.168.0.3"), .missingPort)
        XCTAssertEqual(error("router.example.net"), .missingPort)
        XCTAssertEqual(error("[fd00::1]"), .missingPort)
        XCTAssertEqual(error("[fd00::1]7000"), .missingPort)
        XCTAssertEqual(error("host:"), .missingPort)
        XCTAssertEqual(error("host:0"), .badPort("0"))
        XCTAssertEqual(error("host:65536"), .badPort("65536"))
        XCTAssertEqual(error("host:123456"), .badPort("123456"))
        XCTAssertEqual(error("host:http"), .badPort("http"))
        XCTAssertEqual(error("host:-1"), .badPort("-1"))
        XCTAssertEqual(error("host:+80"), .badPort("+80"))
        XCTAssertEqual(error("[1.2.3.4]:7000"), .badHost("1.2.3.4"))
        XCTAssertEqual(error("[fd00::1:7000"), .badHost("[fd00::1:7000"))
        XCTAssertEqual(error("[fd00::zz]:7000"), .badHost("fd00::zz"))
        XCTAssertEqual(error("1.2.3:7000"), .badHost("1.2.3"), "looks numeric: neither an address nor a name")
        XCTAssertEqual(error("256.1.1.1:7000"), .badHost("256.1.1.1"))
        XCTAssertEqual(error(":7000"), .badHost(""))
        XCTAssertEqual(error("-bad.example:1"), .badHost("-bad.example"))
        XCTAssertEqual(error("bad-.example:1"), .badHost("bad-.example"))
        XCTAssertEqual(error("a..b:1"), .badHost("a..b"))
        XCTAssertEqual(error("exa mple:1"), .badHost("exa mple"))
        XCTAssertEqual(error("under_score.net:1"), .badHost("under_score.net"))
        XCTAssertEqual(error(String(repeating: "a", count: 64) + ".net:7"), .badHost(String(repeating: "a", count: 64) + ".net"))
        XCTAssertEqual(error("fd00::1:7000"), .unbracketedIPv6("fd00::1"))
        XCTAssertTrue(Endpoint.ParseError.unbracketedIPv6("fd00::1").description.contains("[ADDRESS]:PORT"),
                      "IPv6 without brackets gets a hint")
    }

    func testErrorDescriptions() {
        XCTAssertEqual(Endpoint.ParseError.missingPort.description, "missing :port")
        XCTAssertEqual(Endpoint.ParseError.badPort("0").description, "port '0' is not in 1...65535")
        XCTAssertEqual(Endpoint.ParseError.badHost("x_y").description, "'x_y' is neither an IP address nor a DNS name")
    }
}
