import MLinkConfig
import MLinkNetlink
import MLinkTypes
import XCTest

@testable import MLinkSetup

/// `up`'s refusal of a table range or rule priority another mlink interface holds, from state files and rules.
final class RoutingRangeCheckTests: XCTestCase {
    let ours = Profile.RoutingSettings()  // tables 10900-11155, priority 10900

    func claim(_ name: String, base: UInt32, priority: UInt32, present: Bool = true) -> RoutingRangeCheck.Claim {
        RoutingRangeCheck.Claim(interface: name, settings: Profile.RoutingSettings(tableBase: base, rulePriority: priority),
                                statePath: "/run/mlink/\(name).state", isPresent: present)
    }

    func testAnOverlappingTableRangeIsRefusedNamingTheHolder() {
        let clash = RoutingRangeCheck.clash(ours, interface: "ml-b", claims: [claim("ml-a", base: 11000, priority: 10800)],
                                            rules: [])
        XCTAssertEqual(clash, .routingRangeTaken(interface: "ml-b", what: "table range 10900-11155", holder: "mlink interface ml-a",
                                                 evidence: "state file /run/mlink/ml-a.state: tables 11000-11255, rule priority 10800"))
        XCTAssertEqual(clash.map { "mlink: \($0)" },
                       "mlink: up ml-b: table range 10900-11155 is used by mlink interface ml-a (state file "
                       + "/run/mlink/ml-a.state: tables 11000-11255, rule priority 10800); give this profile another "
                       + "routing.table-base and routing.rule-priority")
    }

    func testTheSameRulePriorityIsRefusedEvenWithDisjointTables() {
        // Each one's `down` sweeps the other's suppress rules (same protocol and priority, table main).
        let clash = RoutingRangeCheck.clash(ours, interface: "ml-b", claims: [claim("ml-a", base: 20000, priority: 10900)],
                                            rules: [])
        guard case .routingRangeTaken(_, let what, let holder, _)? = clash else { return XCTFail("no clash: \(String(describing: clash))") }
        XCTAssertEqual(what, "rule priority 10900")
        XCTAssertEqual(holder, "mlink interface ml-a")
    }

    func testDisjointRangesAndPrioritiesPass() {
        XCTAssertNil(RoutingRangeCheck.clash(ours, interface: "ml-b", claims: [
            claim("ml-a", base: 11156, priority: 10901), claim("ml-c", base: 10644, priority: 10899)], rules: []))
    }

    func testOwnStateAbsentInterfacesAndSourceRoutingOffClaimNothing() {
        let off = RoutingRangeCheck.Claim(interface: "ml-off", settings: Profile.RoutingSettings(enabled: false),
                                          statePath: "/x", isPresent: true)
        XCTAssertNil(RoutingRangeCheck.clash(ours, interface: "ml-b", claims: [
            claim("ml-b", base: 10900, priority: 10900),                 // its own (stale) state
            claim("ml-gone", base: 10900, priority: 10900, present: false),  // another namespace, or a crash
            off], rules: []))
        XCTAssertNil(RoutingRangeCheck.clash(Profile.RoutingSettings(enabled: false), interface: "ml-b",
                                             claims: [claim("ml-a", base: 10900, priority: 10900)], rules: []))
    }

    func testAKernelRuleIntoTheRangeIsRefusedWithItsWords() {
        let rule = Rule(source: IPNetwork("10.9.0.2/32")!, table: 10903, priority: 10700, protocolNumber: 109)
        let clash = RoutingRangeCheck.clash(ours, interface: "ml-b", claims: [claim("ml-gone", base: 10900, priority: 10700, present: false)],
                                            rules: [rule])
        XCTAssertEqual(clash, .routingRangeTaken(interface: "ml-b", what: "table range 10900-11155",
                                                 holder: "mlink interface ml-gone",
                                                 evidence: "ip rule: from 10.9.0.2 lookup 10903 priority 10700 proto 109"))
        let unknown = RoutingRangeCheck.clash(ours, interface: "ml-b", claims: [], rules: [rule])
        guard case .routingRangeTaken(_, _, let holder, _)? = unknown else { return XCTFail("no clash") }
        XCTAssertEqual(holder, "another mlink interface or program")
    }

    func testAKernelSuppressRuleAtOurPriorityIsRefusedButOthersRulesAreNot() {
        let suppress = Rule(source: IPNetwork("10.9.0.2/32")!, table: 254, priority: 10900, protocolNumber: 109,
                            suppressPrefixLength: 0)
        guard case .routingRangeTaken(_, let what, _, _)? = RoutingRangeCheck.clash(ours, interface: "ml-b", claims: [],
                                                                                   rules: [suppress]) else {
            return XCTFail("suppress rule at our priority not seen")
        }
        XCTAssertEqual(what, "rule priority 10900")
        let others = [Rule(isIPv6: false, source: nil, table: 254, priority: 32766, protocolNumber: 2),
                      Rule(source: IPNetwork("10.2.0.2/32")!, table: 200, priority: 10900, protocolNumber: 4),
                      Rule(source: IPNetwork("10.2.0.2/32")!, table: 254, priority: 10900, protocolNumber: 4,
                           suppressPrefixLength: 0)]
        XCTAssertNil(RoutingRangeCheck.clash(ours, interface: "ml-b", claims: [], rules: others))
    }
}
