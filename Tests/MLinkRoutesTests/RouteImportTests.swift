import MLinkRoutes
import MLinkTypes
import XCTest

/// The import of routing daemons' routes (routing.md T12/T14 as unit tests): what is taken, what is refused and
/// why, the kernel's metric order, counting once, removal.
final class RouteImportTests: XCTestCase {
    let tun: Int32 = 7
    let bird: UInt8 = 12
    // Peer 2 is router r2 (10.77.0.2), peer 3 router r3 (10.77.0.3); peer 0 is a host.
    let bounds = [
        ImportBound(peer: 2, addresses: [net("10.77.0.2/32")],
                    allowed: [AllowedRoute(prefix: net("10.77.0.0/24"), maxLength: 32),
                              AllowedRoute(prefix: net("192.168.0.0/16"), maxLength: 24)]),
        ImportBound(peer: 3, addresses: [net("10.77.0.3/32"), net("10.77.0.96/27")],
                    allowed: [AllowedRoute(prefix: net("10.77.0.0/24"), maxLength: 32),
                              AllowedRoute(prefix: net("0.0.0.0/0"))]),
    ]
    let surroundings = RouterSurroundings(linkNetworks: [net("192.168.1.3/24")], gateways: [ip("192.168.1.1")],
                                          endpoints: [ip("198.51.100.7"), ip("10.77.0.1")],
                                          virtualNetworks: [net("10.77.0.0/24")],
                                          hostPrefixes: [(peer: 0, prefix: net("10.77.0.20/32"))])

    func importer() -> RouteImporter {
        RouteImporter(tunIndex: tun, ownProtocols: [109], bounds: bounds, surroundings: surroundings)
    }

    func route(_ destination: String, via gateway: String?, dev: Int32? = nil, proto: UInt8? = nil,
               metric: UInt32 = 32) -> KernelRouteEntry {
        KernelRouteEntry(destination: net(destination), metric: metric, gateway: gateway.map(ip),
                         outputLinkIndex: dev ?? tun, protocolNumber: proto ?? bird)
    }

    func testAHostRouteViaARouterIsImportedAndRemoved() {
        var importer = importer()
        XCTAssertEqual(importer.add(route("10.77.0.37/32", via: "10.77.0.3")), [3])
        XCTAssertEqual(importer.prefixes(of: 3), [net("10.77.0.37/32")])
        XCTAssertEqual(importer.prefixes(of: 2), [])
        XCTAssertEqual(importer.add(route("192.168.70.0/24", via: "10.77.0.2")), [2])
        XCTAssertEqual(importer.prefixes(of: 2), [net("192.168.70.0/24")])
        XCTAssertEqual(importer.add(route("10.77.0.37/32", via: "10.77.0.3")), [], "the same route again")
        XCTAssertEqual(importer.remove(route("10.77.0.37/32", via: "10.77.0.3")), [3])
        XCTAssertEqual(importer.prefixes(of: 3), [])
        XCTAssertEqual(importer.refusals, [:])
    }

    func testAGatewayInsideARoutersAllowedIPsCounts() {
        var importer = importer()
        XCTAssertEqual(importer.add(route("10.77.0.40/32", via: "10.77.0.100")), [3])
    }

    func testABetterPathMovesTheImportToAnotherRouter() {
        var importer = importer()
        _ = importer.add(route("10.77.0.37/32", via: "10.77.0.3"))
        // BGP picked r2 now (BIRD replaces its route: same destination and metric).
        XCTAssertEqual(importer.add(route("10.77.0.37/32", via: "10.77.0.2")), [2, 3])
        XCTAssertEqual(importer.prefixes(of: 2), [net("10.77.0.37/32")])
        XCTAssertEqual(importer.prefixes(of: 3), [])
    }

    func testTheKernelsLowestMetricDecides() {
        var importer = importer()
        // This router's own /32 of an attached host (proto 109, metric 0) beside BIRD's copy via r2 (metric 32).
        _ = importer.add(route("10.77.0.20/32", via: nil, proto: 109, metric: 0))
        XCTAssertEqual(importer.add(route("10.77.0.20/32", via: "10.77.0.2")), [])
        XCTAssertEqual(importer.prefixes(of: 2), [], "the attached host's own route wins, as in the kernel")
        XCTAssertEqual(importer.remove(route("10.77.0.20/32", via: nil, proto: 109, metric: 0)), [2],
                       "the host left this router: now via r2")
        XCTAssertEqual(importer.prefixes(of: 2), [net("10.77.0.20/32")])
        // A route via the LAN with a lower metric shadows the tunnel.
        XCTAssertEqual(importer.add(route("10.77.0.20/32", via: "192.168.1.1", dev: 2, proto: 4, metric: 5)), [2])
        XCTAssertEqual(importer.prefixes(of: 2), [])
    }

    func testRoutesThatAreNotImportsAreIgnoredNotCounted() {
        var importer = importer()
        _ = importer.add(route("10.77.0.50/32", via: nil, proto: 109, metric: 0))  // mlink's own
        _ = importer.add(route("10.77.0.0/24", via: nil, proto: 2, metric: 0))    // the kernel's connected route
        _ = importer.add(route("10.60.0.0/24", via: nil, proto: 4))               // dev ml-r1, no gateway
        _ = importer.add(route("10.61.0.0/24", via: "192.168.1.1", dev: 2))       // BIRD, but via the LAN
        XCTAssertTrue(importer.all.isEmpty)
        XCTAssertEqual(importer.refusals, [:])
    }

    func testRefusalsByReasonCountedOnce() {
        var importer = importer()
        let refused = [
            route("172.16.0.0/12", via: "10.77.0.2"),      // outside r2's bound
            route("192.168.50.0/25", via: "10.77.0.2"),    // inside, longer than max-length 24
            route("0.0.0.0/0", via: "10.77.0.2"),          // a /0 r2 does not list
            route("192.168.1.0/24", via: "10.77.0.2"),     // this router's own link network
            route("192.168.0.0/16", via: "10.77.0.2"),     // covers it
            route("198.51.100.0/24", via: "10.77.0.3"),    // contains a router endpoint (outside r3's bound first)
            route("10.77.0.0/24", via: "10.77.0.3"),       // contains this router's own address
            route("224.0.0.0/4", via: "10.77.0.3"),
            route("10.50.0.0/24", via: "10.77.0.20"),      // a host's address, not a router's
        ]
        for entry in refused { XCTAssertEqual(importer.add(entry), [], "\(entry.destination)") }
        let reasons = importer.all.map { "\($0.route.destination) \($0.decision)" }
        XCTAssertEqual(reasons, [
            "0.0.0.0/0 refused(martian)", "10.50.0.0/24 refused(not-via-router)", "10.77.0.0/24 refused(capture)",
            "172.16.0.0/12 refused(outside-bound)", "192.168.0.0/16 refused(capture)",
            "192.168.1.0/24 refused(capture)", "192.168.50.0/25 refused(outside-bound)",
            "198.51.100.0/24 refused(outside-bound)", "224.0.0.0/4 refused(martian)",
        ])
        XCTAssertEqual(importer.refusals, [.outsideBound: 3, .capture: 3, .martian: 2, .notViaRouter: 1])
        XCTAssertEqual(importer.takeNewRefusals().count, 9)
        // The same routes again (a resync, BIRD's scan re-adding them): counted once.
        _ = importer.replaceAll(refused)
        for entry in refused { _ = importer.add(entry) }
        XCTAssertEqual(importer.refusals, [.outsideBound: 3, .capture: 3, .martian: 2, .notViaRouter: 1])
        XCTAssertEqual(importer.takeNewRefusals().count, 0)
        // Withdrawn and announced again: a new refusal.
        _ = importer.remove(refused[0])
        _ = importer.add(refused[0])
        XCTAssertEqual(importer.refusals[.outsideBound], 4)
    }

    func testAListedDefaultRouteIsImported() {
        var importer = importer()
        XCTAssertEqual(importer.add(route("0.0.0.0/0", via: "10.77.0.3")), [3])
    }

    func testAFullDumpReplacesTheMirror() {
        var importer = importer()
        _ = importer.add(route("10.77.0.37/32", via: "10.77.0.3"))
        _ = importer.add(route("10.77.0.38/32", via: "10.77.0.3"))
        // Notifications were lost; the dump has .38 via r2 and .39 via r3, and .37 is gone.
        let changed = importer.replaceAll([route("10.77.0.38/32", via: "10.77.0.2"),
                                           route("10.77.0.39/32", via: "10.77.0.3")])
        XCTAssertEqual(changed, [2, 3])
        XCTAssertEqual(importer.prefixes(of: 3), [net("10.77.0.39/32")])
        XCTAssertEqual(importer.prefixes(of: 2), [net("10.77.0.38/32")])
    }

    func testNewSurroundingsJudgeAgain() {
        var importer = importer()
        _ = importer.add(route("192.168.9.0/24", via: "10.77.0.2"))
        XCTAssertEqual(importer.prefixes(of: 2), [net("192.168.9.0/24")])
        // A new uplink in 192.168.9.0/24 appears on this router.
        var around = surroundings
        around.linkNetworks.append(net("192.168.9.5/24"))
        XCTAssertEqual(importer.update(bounds: bounds, surroundings: around), [2])
        XCTAssertEqual(importer.prefixes(of: 2), [])
        XCTAssertEqual(importer.refusals, [.capture: 1])
        XCTAssertEqual(importer.update(bounds: bounds, surroundings: around), [], "no change, no work")
    }

    func testIPv6() {
        var importer = RouteImporter(
            tunIndex: tun, ownProtocols: [109],
            bounds: [ImportBound(peer: 1, addresses: [net("fd77::2/128")],
                                 allowed: [AllowedRoute(prefix: net("fd77::/64"), maxLength: 128)])],
            surroundings: RouterSurroundings())
        XCTAssertEqual(importer.add(route("fd77::37/128", via: "fd77::2", metric: 1024)), [1])
        XCTAssertEqual(importer.add(route("fd78::/64", via: "fd77::2", metric: 1024)), [])
        XCTAssertEqual(importer.refusals, [.outsideBound: 1])
    }

    func testHostRouteMetric() {
        XCTAssertEqual(HostRouteMetric.metric(base: 0, preferred: nil), 0)
        XCTAssertEqual(HostRouteMetric.metric(base: 0, preferred: true), 0)
        XCTAssertEqual(HostRouteMetric.metric(base: 0, preferred: false), 1)
        XCTAssertEqual(HostRouteMetric.metric(base: 20, preferred: false), 21)
        XCTAssertEqual(HostRouteMetric.metric(base: UInt32.max, preferred: false), (1 << 24) - 1,
                       "below 2^24 (zebra's distance byte)")
    }
}
