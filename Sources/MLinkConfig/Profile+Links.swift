import MLinkSystem
import MLinkYAML

extension Profile {
    /// A link's place in the bundle (`links[].role`): which links carry data and copies, and which wait.
    public enum LinkRole: String, Sendable, Equatable, CaseIterable {
        /// Carries data whenever it works (the default).
        case primary
        /// Carries data beside the primaries (redundant mode), or when no primary works (failover).
        case secondary
        /// Carries data only when no primary or secondary link is up; probed at `standby-probe`, or at the
        /// keepalive when also metered (a cold backup).
        case backup
        /// Never used, though its interface matches `links`.
        case never
    }

    /// What happens to a metered link whose budget ran out (`links[].over-budget`).
    public enum OverBudget: String, Sendable, Equatable, CaseIterable {
        /// It becomes a backup until the budget resets (the default).
        case backupOnly = "backup-only"
        /// It is not used at all until the budget resets.
        case off
    }

    /// `links[].budget`: bytes a metered link may carry (sent plus received, on the wire) per calendar month and
    /// per day. A month starts on `reset-day` at 00:00 UTC, a day at 00:00 UTC.
    public struct Budget: Sendable, Equatable {
        public var monthly: UInt64?
        public var daily: UInt64?
        /// 1...28.
        public var resetDay: Int

        public init(monthly: UInt64? = nil, daily: UInt64? = nil, resetDay: Int = 1) {
            self.monthly = monthly; self.daily = daily; self.resetDay = resetDay
        }
    }

    /// One `links` entry: an interface name or glob with its role and cost. A plain string is `{name: STRING}`.
    public struct LinkSettings: Sendable, Equatable {
        /// `links[].name`: an interface name or a glob.
        public var pattern: String
        public var role: LinkRole
        /// `links[].metered`: the link costs by the byte (LTE, satellite).
        public var metered: Bool
        public var budget: Budget?
        public var overBudget: OverBudget

        public init(pattern: String, role: LinkRole = .primary, metered: Bool = false, budget: Budget? = nil,
                    overBudget: OverBudget = .backupOnly) {
            self.pattern = pattern; self.role = role; self.metered = metered; self.budget = budget
            self.overBudget = overBudget
        }
    }

    /// The links' roles and costs and the copy policy: `links` entries, `copies`, `standby-probe`.
    public struct LinkPolicySettings: Sendable, Equatable {
        /// The `links` entries in profile order (empty: every interface, all primary).
        public var links: [LinkSettings] = []
        /// `copies`: in redundant mode at most this many copies of a packet, on the best links; nil: one per link.
        public var copies: Int?
        /// `standby-probe`: the probe interval of an idle or standby connection, in milliseconds (default 5000).
        public var standbyProbeMilliseconds = 5000

        public init() {}

        /// The settings of the interface `name`: the first entry whose name or glob matches, else a primary.
        public func settings(forLink name: String) -> LinkSettings {
            links.first { Glob.matches($0.pattern, name) } ?? LinkSettings(pattern: name)
        }
    }
}

extension ProfileValidator {
    static let linkKeys = ["name", "role", "metered", "budget", "over-budget"]
    static let budgetKeys = ["monthly", "daily", "reset-day"]

    /// `links`, `copies` and `standby-probe`.
    func linkPolicy(_ profile: ProfileMapping) throws -> Profile.LinkPolicySettings {
        var policy = Profile.LinkPolicySettings()
        if let field = profile["links"] { policy.links = try field.list().map(linkSettings) }
        if let copies = profile["copies"] { policy.copies = try copies.integer(in: 1...32, unit: "copies") }
        if let standby = profile["standby-probe"] {
            policy.standbyProbeMilliseconds = try standby.duration(in: 100...3_600_000)
        }
        return policy
    }

    private func linkSettings(_ item: ProfileField) throws -> Profile.LinkSettings {
        guard case .mapping = item.node.content else { return Profile.LinkSettings(pattern: try linkPattern(item)) }
        let entry = try item.mapping(knownKeys: Self.linkKeys)
        var settings = Profile.LinkSettings(pattern: try linkPattern(entry.required(
            "name", "a links entry needs the interface name (or glob) it is about")))
        if let role = entry["role"] { settings.role = try role.choice(of: Profile.LinkRole.self) }
        if let metered = entry["metered"] { settings.metered = try metered.boolean() }
        if let overBudget = entry["over-budget"] { settings.overBudget = try overBudget.choice(of: Profile.OverBudget.self) }
        if let budgetField = entry["budget"] {
            guard settings.metered else {
                throw budgetField.keyError("a budget counts the bytes of a metered link; add metered: true")
            }
            let budget = try budgetField.mapping(knownKeys: Self.budgetKeys)
            var value = Profile.Budget()
            value.monthly = try budget["monthly"]?.byteSize()
            value.daily = try budget["daily"]?.byteSize()
            if let day = budget["reset-day"] { value.resetDay = try day.integer(in: 1...28, unit: "(day of the month)") }
            guard value.monthly != nil || value.daily != nil else {
                throw budgetField.error("a budget needs monthly, daily or both, e.g. {monthly: 20GB}")
            }
            settings.budget = value
        }
        return settings
    }

    private func linkPattern(_ field: ProfileField) throws -> String {
        let pattern = try field.string()
        let problem = NameRules.isGlob(pattern) ? NameRules.globProblem(pattern) : NameRules.interfaceNameProblem(pattern)
        if let problem { throw field.error(NameRules.sentence(pattern, problem)) }
        return pattern
    }
}

extension ProfileField {
    /// One of an enum's raw values.
    func choice<Choice: RawRepresentable & CaseIterable>(of type: Choice.Type) throws -> Choice
        where Choice.RawValue == String {
        let text = try string()
        guard let value = Choice(rawValue: text) else {
            let known = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("unknown value '\(text)'; expected one of \(known)")
        }
        return value
    }

    /// A size in bytes: a plain integer, or a number with B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB,
    /// TiB (powers of 1024), such as `20GB` or `1.5GiB`.
    func byteSize() throws -> UInt64 {
        let text = try string()
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
                                         ("kB", 1e3), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1)]
        var number = Substring(text), scale = 1.0
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = factor
            break
        }
        let trimmed = number.trimmingSuffixSpaces
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(trimmed), value > 0, value * scale < 1e18 else {
            throw error("expected a size such as 20GB, 500MB or 1GiB, got '\(text)'")
        }
        return UInt64(value * scale)
    }

    /// A duration in milliseconds inside `range`: `5s`, `250ms`, `2m`, or a plain integer of seconds.
    func duration(in range: ClosedRange<Int>) throws -> Int {
        let text = try string()
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        var digits = Substring(text), scale = 1000
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            scale = factor
            break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
              value <= Int.max / scale else {
            throw error("expected a duration such as 5s or 500ms, got '\(text)'")
        }
        let milliseconds = value * scale
        guard range.contains(milliseconds) else {
            throw error("\(text) is not in \(range.lowerBound)ms...\(range.upperBound / 1000)s")
        }
        return milliseconds
    }
}

extension Substring {
    fileprivate var trimmingSuffixSpaces: Substring {
        var s = self
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
