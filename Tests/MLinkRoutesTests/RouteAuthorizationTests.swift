import MLinkRoutes
import MLinkTypes
import XCTest

/// Every verdict of the router's checks, ROA max-length, and overlap both ways (routing.md T7 as a unit test).
final class RouteAuthorizationTests: XCTestCase {
    let authorizer = RouteAuthorizer(maximumRoutesPerPeer: 3)
    let allowed = [AllowedRoute(prefix: net("192.168.0.0/16"), maxLength: 24),
                   AllowedRoute(prefix: net("10.0.0.0/8"), maxLength: 24),
                   AllowedRoute(prefix: net("172.20.0.0/16")),
                   AllowedRoute(prefix: net("fd00::/16"), maxLength: 64)]
    let surroundings = RouterSurroundings(
        linkNetworks: [net("192.168.1.3/24"), net("198.51.100.2/30")],
        gateways: [ip("198.51.100.1"), ip("10.200.0.1")],
        endpoints: [ip("10.201.0.7")],
        virtualNetworks: [net("10.77.0.0/24"), net("fd77:1::/64")],
        hostPrefixes: [(peer: 1, prefix: net("10.77.0.10/32")), (peer: 2, prefix: net("10.60.0.0/24")),
                       (peer: 0, prefix: net("10.61.0.0/24"))])

    private func verdict(_ text: String, peer: Int = 0, allowed: [AllowedRoute]? = nil) -> RouteVerdict {
        authorizer.verdict(for: net(text), peer: peer, allowed: allowed ?? self.allowed, surroundings: surroundings)
    }

    func testTheControlCaseIsAccepted() {
        XCTAssertEqual(verdict("192.168.50.0/24"), .active)
        XCTAssertEqual(verdict("192.168.50.0/23"), .active, "shorter than max-length, inside the entry")
        XCTAssertEqual(verdict("172.20.0.0/16"), .active, "exact entry without max-length")
        XCTAssertEqual(verdict("fd00:50::/64"), .active)
    }

    func testHostBitsComeFirst() {
        XCTAssertEqual(verdict("192.168.50.1/24"), .hostBits)
        XCTAssertEqual(verdict("fd00:50::1/64"), .hostBits)
    }

    func testMartians() {
        for text in ["0.0.0.0/0", "::/0", "127.0.0.0/8", "127.1.0.0/16", "224.0.0.0/4", "239.1.0.0/16",
                     "169.254.0.0/16", "fe80::/64", "ff02::/16", "0.0.0.0/8", "240.0.0.0/4", "::1/128"] {
            XCTAssertEqual(verdict(text, allowed: [AllowedRoute(prefix: net("0.0.0.0/1"), maxLength: 32),
                                                   AllowedRoute(prefix: net("128.0.0.0/1"), maxLength: 32),
                                                   AllowedRoute(prefix: net("::/1"), maxLength: 128),
                                                   AllowedRoute(prefix: net("8000::/1"), maxLength: 128)]),
                           .martian, text)
        }
    }

    func testADefaultRouteListedExactlyIsAnExitNode() {
        let exit = [AllowedRoute(prefix: net("0.0.0.0/0"))]
        XCTAssertEqual(verdict("0.0.0.0/0", allowed: exit), .active, "listed: no capture check")
        XCTAssertEqual(verdict("0.0.0.0/0", allowed: [AllowedRoute(prefix: net("0.0.0.0/0"), maxLength: 24)]), .active)
        XCTAssertEqual(verdict("::/0", allowed: exit), .martian, "only the listed family")
    }

    func testNotAllowedAndRoaMaxLength() {
        XCTAssertEqual(verdict("172.16.60.0/24"), .notAllowed)
        XCTAssertEqual(verdict("192.0.0.0/8"), .notAllowed, "covering the entry is not inside it")
        XCTAssertEqual(verdict("192.168.50.0/25"), .tooLong)
        XCTAssertEqual(verdict("172.20.1.0/24"), .tooLong, "an entry without max-length allows exactly itself")
        XCTAssertEqual(verdict("fd00:50::/80"), .tooLong)
        XCTAssertEqual(verdict("192.168.50.0/24", allowed: []), .notAllowed)
    }

    func testOverlapsWithTheRouterBothWays() {
        XCTAssertEqual(verdict("192.168.1.0/24"), .overlapsRouter, "the router's own link network")
        XCTAssertEqual(verdict("192.168.0.0/16", allowed: [AllowedRoute(prefix: net("192.168.0.0/16"))]),
                       .overlapsRouter, "containing a link network")
        XCTAssertEqual(verdict("10.200.0.0/24"), .overlapsRouter, "containing a gateway")
        XCTAssertEqual(verdict("10.201.0.0/24"), .overlapsRouter, "containing an endpoint")
        XCTAssertEqual(verdict("192.168.1.128/25", allowed: [AllowedRoute(prefix: net("192.168.0.0/16"), maxLength: 25)]),
                       .overlapsRouter, "inside a link network")
    }

    func testOverlapsWithTheVirtualNetworkAndHosts() {
        XCTAssertEqual(verdict("10.77.0.0/24"), .overlapsVirtual)
        XCTAssertEqual(verdict("10.77.0.0/16", allowed: [AllowedRoute(prefix: net("10.0.0.0/8"), maxLength: 16)]),
                       .overlapsVirtual, "containing the virtual network")
        XCTAssertEqual(verdict("fd77:1::/64", allowed: [AllowedRoute(prefix: net("fd77::/16"), maxLength: 64)]),
                       .overlapsVirtual)
        XCTAssertEqual(verdict("10.60.0.0/24"), .overlapsVirtual, "another peer's static allowed-ips")
        XCTAssertEqual(verdict("10.61.0.0/24", peer: 0), .active, "its own static allowed-ips are not a clash")
        XCTAssertEqual(verdict("10.61.0.0/24", peer: 3), .overlapsVirtual)
    }

    func testDuplicatesAndTheLimitInOneAnnouncement() {
        let prefixes = ["192.168.50.0/24", "192.168.50.0/24", "172.16.60.0/24", "192.168.51.0/24", "192.168.52.0/24",
                        "192.168.53.0/24"].map(net)
        XCTAssertEqual(authorizer.verdicts(for: prefixes, peer: 0, allowed: allowed, surroundings: surroundings),
                       [.active, .duplicate, .notAllowed, .active, .active, .overLimit])
    }

    func testEveryVerdictHasADistinctReason() {
        XCTAssertEqual(Set(RouteVerdict.allCases.map(\.reason)).count, RouteVerdict.allCases.count)
        XCTAssertEqual(RouteVerdict.allCases.map(\.rawValue), Array(0...9))
    }
}
