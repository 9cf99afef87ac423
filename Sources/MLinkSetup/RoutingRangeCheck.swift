import MLinkConfig
import MLinkNetlink

/// `up`'s refusal of a source-routing range that another mlink interface holds.
///
/// Two cores with overlapping table ranges would overwrite each other's tables, and two at the same rule
/// priority would sweep each other's rules on `down` (the sweep matches protocol, priority and table range).
/// `check` cannot see the other interfaces; `up` can: their state files in the run directory, and the
/// kernel's rules, which also show a range held by a core whose state is elsewhere (another run directory) or
/// gone (a crash). The check runs before anything is created, so a refusal leaves nothing behind.
public enum RoutingRangeCheck {
    /// Another interface's source routing, from its state file.
    public struct Claim: Equatable, Sendable {
        public var interface: String
        public var settings: Profile.RoutingSettings
        /// Where the claim was read (for the message).
        public var statePath: String
        /// True when the interface exists in this network namespace: a state file in a run directory shared
        /// with other namespaces, or left by a crash, claims nothing by itself.
        public var isPresent: Bool

        public init(interface: String, settings: Profile.RoutingSettings, statePath: String, isPresent: Bool) {
            self.interface = interface
            self.settings = settings
            self.statePath = statePath
            self.isPresent = isPresent
        }
    }

    /// The first clash of `settings` (for `interface`) with the `claims` of other interfaces or with the
    /// kernel's `rules`, as the error `up` throws; nil when there is none. Pure.
    public static func clash(_ settings: Profile.RoutingSettings, interface: String, claims: [Claim],
                             rules: [Rule]) -> SetupError? {
        guard settings.enabled else { return nil }
        let others = claims.filter { $0.interface != interface && $0.settings.enabled }
        for claim in others where claim.isPresent {
            let evidence = "state file \(claim.statePath): tables \(describe(claim.settings.tables)), "
                + "rule priority \(claim.settings.rulePriority)"
            if claim.settings.tables.overlaps(settings.tables) {
                return .routingRangeTaken(interface: interface, what: "table range \(describe(settings.tables))",
                                          holder: "mlink interface \(claim.interface)", evidence: evidence)
            }
            if claim.settings.rulePriority == settings.rulePriority {
                return .routingRangeTaken(interface: interface, what: "rule priority \(settings.rulePriority)",
                                          holder: "mlink interface \(claim.interface)", evidence: evidence)
            }
        }
        // Rules into the range first: they name the table, which says more than a priority.
        let ordered = rules.filter { settings.tables.contains($0.table) } + rules.filter { !settings.tables.contains($0.table) }
        for rule in ordered {
            let inRange = settings.tables.contains(rule.table)
            let sweptWithOurs = rule.priority == settings.rulePriority && rule.protocolNumber == settings.routeProtocol
                && rule.table == mainTable && rule.suppressPrefixLength == 0
            guard inRange || sweptWithOurs else { continue }
            let holder = others.first { $0.settings.tables.contains(rule.table) || ($0.settings.rulePriority == rule.priority) }
                .map { "mlink interface \($0.interface)" } ?? "another mlink interface or program"
            let words = "ip \(rule.isIPv6 ? "-6 " : "")rule: \(rule.ipArguments)"
            return .routingRangeTaken(interface: interface,
                                      what: inRange ? "table range \(describe(settings.tables))"
                                                    : "rule priority \(settings.rulePriority)",
                                      holder: holder, evidence: words)
        }
        return nil
    }

    /// Throws the clash of `settings` with what the run directory and the kernel show, if any.
    public static func refuseClash(_ settings: Profile.RoutingSettings, interface: String, runDirectory: RunDirectory,
                                   netlink: RouteNetlink) throws {
        guard settings.enabled else { return }
        var claims: [Claim] = []
        for name in runDirectory.interfaces() where name != interface {
            guard let state = (try? runDirectory.load(name)) ?? nil, let routing = state.sourceRouting else { continue }
            claims.append(Claim(interface: name, settings: routing, statePath: runDirectory.statePath(name),
                                isPresent: ((try? netlink.link(named: name)) ?? nil) != nil))
        }
        if let clash = clash(settings, interface: interface, claims: claims, rules: try netlink.rules()) { throw clash }
    }

    /// "10900-11155".
    static func describe(_ tables: Range<UInt32>) -> String { "\(tables.lowerBound)-\(tables.upperBound - 1)" }

    /// RT_TABLE_MAIN.
    static let mainTable: UInt32 = 254
}
