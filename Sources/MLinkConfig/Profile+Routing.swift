import MLinkYAML
extension Profile {
    /// The `routing` block: where mlink puts the per-link source routing it installs.
    ///
    /// For each link whose way to the router goes through a gateway, mlink installs a table holding that gateway
    /// and a rule "from LINK-ADDRESS lookup TABLE", so a socket pinned to the link really leaves through it. The
    /// tables are `table-base` + n (n < `tableCount`), the rules sit at `rule-priority`, and both are tagged with
    /// `route-protocol` (109, "mlink", by default), so `down` removes exactly these. Two interfaces on one machine
    /// need disjoint ranges.
    public struct RoutingSettings: Sendable, Equatable {
        /// How many tables one interface may use: one per link, and mlink uses at most 255 link slots.
        public static let tableCount: UInt32 = 256

        /// The first table id (`routing.table-base`, default 10900).
        public var tableBase: UInt32
        /// The priority of the rules (`routing.rule-priority`, default 10900; the main table's rule is 32766).
        public var rulePriority: UInt32
        /// False when `routing.source-routing` is false: no tables or rules at all.
        public var enabled: Bool
        /// The route protocol (RTPROT_*) of the tables' routes and of the rules (`routing.route-protocol`,
        /// default 109, mlink's own).
        public var routeProtocol: UInt8

        public init(tableBase: UInt32 = 10900, rulePriority: UInt32 = 10900, enabled: Bool = true,
                    routeProtocol: UInt8 = 109) {
            self.tableBase = tableBase; self.rulePriority = rulePriority; self.enabled = enabled
            self.routeProtocol = routeProtocol
        }

        /// The table ids this profile may use.
        public var tables: Range<UInt32> { tableBase..<(tableBase + Self.tableCount) }
    }
}

extension ProfileValidator {
    static let routingKeys = ["source-routing", "table-base", "rule-priority", "route-protocol"]

    /// `routing: {source-routing: true, table-base: 10900, rule-priority: 10900, route-protocol: 109}`.
    ///
    /// Table ids 0 and 252..255 are the kernel's (unspec, default, main, local); a range that would reach them,
    /// or run past 2^32, is refused. Priority 0 is the kernel's "lookup local" and 32766 main: mlink's rules
    /// must come before main to matter. Route protocols 0 to 4 are the kernel's (unspec, redirect, kernel, boot,
    /// static) and would make mlink's routes indistinguishable from others'.
    func routingSettings(_ field: ProfileField) throws -> Profile.RoutingSettings {
        let routing = try field.mapping(knownKeys: Self.routingKeys)
        var settings = Profile.RoutingSettings()
        if let enabled = routing["source-routing"] { settings.enabled = try enabled.boolean() }
        if let base = routing["table-base"] {
            let maximum = Int(UInt32.max - Profile.RoutingSettings.tableCount)
            let value = try base.integer(in: 256...maximum, unit: "(tables up to 255 are the kernel's)")
            settings.tableBase = UInt32(value)
        }
        if let priority = routing["rule-priority"] {
            settings.rulePriority = UInt32(try priority.integer(in: 1...32765, unit: "(before main's 32766)"))
        }
        if let number = routing["route-protocol"] {
            settings.routeProtocol = UInt8(try number.integer(in: 5...255, unit: "(0 to 4 are the kernel's)"))
        }
        return settings
    }
}

extension ProfileField {
    /// `true` or `false`, plain (YAML 1.1's yes/no/on/off are refused: they surprise people).
    func boolean() throws -> Bool {
        guard case .scalar(let text, isPlain: true) = node.content, !node.isNull else {
            throw error("expected true or false, got \(node.foundDescription)")
        }
        switch text {
        case "true": return true
        case "false": return false
        default: throw error("expected true or false, got '\(text)'")
        }
    }
}
