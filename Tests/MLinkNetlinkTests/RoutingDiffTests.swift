import MLinkTypes
import XCTest

@testable import MLinkNetlink

/// The heal check's comparison against recorded dumps: what mlink installed for a link, what the kernel still
/// holds of it, and the request that asks for one table only.
final class RoutingDiffTests: XCTestCase {
    private let sequence: UInt32 = 0x6d6c_0101
    private let d0: Int32 = 3
    private let table: UInt32 = 10901

    /// What SourceRouting installs for d0 (10.2.0.2/24 via 10.2.0.1): on-link route with source, default route.
    private var wantedRoutes: [Route] {
        [Route(destination: IPNetwork("10.2.0.0/24")!, outputLinkIndex: d0, table: table, protocolNumber: 109,
               source: IPAddress("10.2.0.2")),
         Route(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.2.0.1"), outputLinkIndex: d0, table: table,
               protocolNumber: 109)]
    }

    private var wantedRules: [Rule] {
        [Rule(source: IPNetwork("10.2.0.2/32")!, table: 254, priority: 10900, protocolNumber: 109, suppressPrefixLength: 0),
         Rule(source: IPNetwork("10.2.0.2/32")!, table: table, priority: 10900, protocolNumber: 109)]
    }

    private func messages(_ datagrams: [[UInt8]]) -> [[UInt8]] {
        let collector = ReplyCollector(sequence: sequence)
        var progress = ReplyCollector.Progress.needMore
        for datagram in datagrams { progress = datagram.withUnsafeBytes { collector.consume($0) } }
        XCTAssertEqual(progress, .finished)
        return collector.messages
    }

    func testOwnTableRequestMatchesTheRecording() {
        XCTAssertEqual(NetlinkMessages.getRoutes(table: table, sequence: sequence), Recorded.ownTableDumpRequest)
    }

    func testAFilteredDumpHoldsOnlyTheOwnTable() {
        let routes = messages([Recorded.ownTableDump, Recorded.ownTableDumpDone]).compactMap(NetlinkMessages.parseRoute)
        XCTAssertEqual(routes.count, 2)
        XCTAssertEqual(Set(routes.map(\.table)), [table])
    }

    func testNothingIsMissingWhileTheEntryIsComplete() {
        let routes = messages([Recorded.ownTableDump, Recorded.ownTableDumpDone]).compactMap(NetlinkMessages.parseRoute)
        let rules = messages([Recorded.ownRulesDump]).compactMap(NetlinkMessages.parseRule)
        XCTAssertEqual(RoutingDiff.missingRoutes(wantedRoutes, present: routes), [])
        XCTAssertEqual(RoutingDiff.missingRules(wantedRules, present: rules), [])
    }

    func testAFlappedLinkLostBothRoutesButNotTheRules() {
        let routes = messages([Recorded.ownTableDumpAfterFlap]).compactMap(NetlinkMessages.parseRoute)
        let rules = messages([Recorded.ownRulesDump]).compactMap(NetlinkMessages.parseRule)
        XCTAssertEqual(routes, [])
        XCTAssertEqual(RoutingDiff.missingRoutes(wantedRoutes, present: routes), wantedRoutes)
        XCTAssertEqual(RoutingDiff.missingRules(wantedRules, present: rules), [])
    }

    func testADifferentGatewayLinkOrTableDoesNotSatisfy() {
        let routes = messages([Recorded.ownTableDump, Recorded.ownTableDumpDone]).compactMap(NetlinkMessages.parseRoute)
        var moved = wantedRoutes[1]
        moved.gateway = IPAddress("10.2.0.254")
        var otherLink = wantedRoutes[1]
        otherLink.outputLinkIndex = 2
        var otherTable = wantedRoutes[0]
        otherTable.table = table + 1
        XCTAssertEqual(RoutingDiff.missingRoutes([moved, otherLink, otherTable], present: routes),
                       [moved, otherLink, otherTable])
    }

    func testOnlyTheMissingRuleIsReported() {
        let rules = messages([Recorded.ownRulesDump]).compactMap(NetlinkMessages.parseRule)
        let suppressGone = rules.filter { $0.suppressPrefixLength == nil || $0.table != 254 || $0.priority != 10900 }
        XCTAssertEqual(RoutingDiff.missingRules(wantedRules, present: suppressGone), [wantedRules[0]])
        var otherPriority = wantedRules[1]
        otherPriority.priority = 10800
        XCTAssertEqual(RoutingDiff.missingRules([otherPriority], present: rules), [otherPriority])
    }

    func testARuleListedWithoutProtocolStillCounts() {
        // A kernel before 4.17 drops FRA_PROTOCOL: the rule lists with protocol 0 and is still ours.
        var untagged = wantedRules[1]
        untagged.protocolNumber = 0
        XCTAssertEqual(RoutingDiff.missingRules([wantedRules[1]], present: [untagged]), [])
        XCTAssertEqual(RoutingDiff.missingRules([untagged], present: [wantedRules[1]]), [untagged],
                       "the wanted rule's protocol is not optional")
    }
}
