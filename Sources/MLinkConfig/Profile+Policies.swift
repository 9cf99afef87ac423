import MLinkFlows
import MLinkTypes
import MLinkYAML

extension Profile {
    /// One `policies` entry: which flows (`match`) and how they are carried.
    public struct PolicyRule: Sendable, Equatable {
        /// The class's name in `show` and the metrics.
        public var name: String
        public var match: FlowMatch
        public var mode: Mode
        /// Redundant: at most this many copies; nil: one per link.
        public var copies: Int?
        /// Adaptive: the largest share of extra bytes protection may cost (0...1).
        public var maximumOverhead: Double?
    }

    /// `policies`, `deadline` and `target-loss` (Profile+Policies.swift).
    public struct PolicySettings: Sendable, Equatable {
        public var rules: [PolicyRule] = []
        /// Adaptive: a copy later than this is as good as lost (ms; `deadline`, default 150 ms).
        public var deadlineMilliseconds = 150
        /// Adaptive: the residual loss protection aims at (a fraction; `target-loss`, default 0.1%).
        public var targetLoss = 0.001
        /// Adaptive default rule: the largest extra share (`max-overhead` at the top level, default 50%).
        public var maximumOverhead = 0.5

        public init() {}

        /// True when flows must be classified: some rule, or a default mode that works per flow.
        public func isActive(defaultMode: Mode) -> Bool {
            !rules.isEmpty || defaultMode == .adaptive || defaultMode == .aggregate
        }
    }
}

extension ProfileValidator {
    static let policyKeys = ["name", "match", "mode", "copies", "max-overhead"]
    static let matchKeys = ["dscp", "detect", "dst", "src", "proto", "port", "class"]
    /// DSCP names (RFC 4594 and RFC 2597).
    static let dscpNames: [String: UInt8] = [
        "EF": 46, "VA": 44, "CS0": 0, "CS1": 8, "CS2": 16, "CS3": 24, "CS4": 32, "CS5": 40, "CS6": 48, "CS7": 56,
        "AF11": 10, "AF12": 12, "AF13": 14, "AF21": 18, "AF22": 20, "AF23": 22, "AF31": 26, "AF32": 28, "AF33": 30,
        "AF41": 34, "AF42": 36, "AF43": 38, "LE": 1,
    ]

    /// `policies: [{name, match: {...}, mode, copies, max-overhead}]`, `deadline`, `target-loss`, `max-overhead`.
    func policySettings(_ profile: ProfileMapping) throws -> Profile.PolicySettings {
        var settings = Profile.PolicySettings()
        if let deadline = profile["deadline"] { settings.deadlineMilliseconds = try deadline.duration(in: 1...10_000) }
        if let target = profile["target-loss"] { settings.targetLoss = try target.fraction(in: 0.000001...0.5, bounds: "0.0001% and 50%") }
        if let overhead = profile["max-overhead"] { settings.maximumOverhead = try overhead.fraction(in: 0.01...1, bounds: "1% and 100%") }
        guard let list = profile["policies"] else { return settings }
        var names = Set<String>()
        let items = try list.list()
        for (position, item) in items.enumerated() {
            let entry = try item.mapping(knownKeys: Self.policyKeys)
            let nameField = try entry.required("name", "a policy needs a name (shown in show and the metrics)")
            let name = try nameField.string()
            guard !name.isEmpty, name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw nameField.error("'\(name)' is not a policy name (letters, digits, - and _, at most 32)")
            }
            guard names.insert(name).inserted else { throw nameField.error("policy '\(name)' is listed twice") }
            guard name != "default" || entry["match"] == nil else {
                throw nameField.error("the policy named default matches everything; it takes no match")
            }
            guard name != "default" || position == items.count - 1 else {
                throw nameField.error("the policy named default matches everything, so it must be the last one")
            }
            let modeField = try entry.required("mode", "a policy needs a mode: redundant, failover, adaptive or aggregate")
            let mode = try self.mode(modeField)
            var rule = Profile.PolicyRule(name: name, match: FlowMatch(), mode: mode)
            if let match = entry["match"] { rule.match = try flowMatch(match) }
            if let copies = entry["copies"] {
                guard mode == .redundant else { throw copies.keyError("copies applies to mode redundant only") }
                rule.copies = try copies.integer(in: 1...32, unit: "copies")
            }
            if let overhead = entry["max-overhead"] {
                guard mode == .adaptive else { throw overhead.keyError("max-overhead applies to mode adaptive only") }
                rule.maximumOverhead = try overhead.fraction(in: 0.01...1, bounds: "1% and 100%")
            }
            settings.rules.append(rule)
        }
        return settings
    }

    private func flowMatch(_ field: ProfileField) throws -> FlowMatch {
        let entry = try field.mapping(knownKeys: Self.matchKeys)
        var match = FlowMatch()
        if let dscp = entry["dscp"] {
            match.dscp = try dscp.scalarOrList().map { item in
                let text = try item.string()
                if let value = Self.dscpNames[text.uppercased()] { return value }
                guard let value = UInt8(text), value < 64 else {
                    throw item.error("'\(text)' is not a DSCP (a name such as EF or AF41, or 0 to 63)")
                }
                return value
            }
        }
        if let detect = entry["detect"] {
            for item in try detect.scalarOrList() {
                let text = try item.string()
                guard let detection = Detections(name: text) else {
                    let known = Detections.names.map(\.name).joined(separator: ", ")
                    throw item.error("unknown detect '\(text)'; expected one of \(known)")
                }
                match.detect.insert(detection)
            }
        }
        if let destination = entry["dst"] { match.destinations = try destination.scalarOrList().map(matchNetwork) }
        if let source = entry["src"] { match.sources = try source.scalarOrList().map(matchNetwork) }
        if let proto = entry["proto"] {
            match.protocols = try proto.scalarOrList().map { item in
                let text = try item.string()
                switch text {
                case "tcp": return 6
                case "udp": return 17
                case "icmp": return 1
                case "icmpv6": return 58
                default:
                    guard let value = UInt8(text) else {
                        throw item.error("'\(text)' is not a protocol (tcp, udp, icmp, icmpv6 or 0 to 255)")
                    }
                    return value
                }
            }
        }
        if let port = entry["port"] {
            match.ports = try port.scalarOrList().map { item in
                let text = try item.string()
                let parts = text.split(separator: "-", omittingEmptySubsequences: false)
                guard parts.count <= 2, let low = UInt16(parts[0]), let high = UInt16(parts.last!), low <= high else {
                    throw item.error("'\(text)' is not a port or a range such as 5000-5010")
                }
                return low...high
            }
        }
        if let classes = entry["class"] {
            match.classes = try classes.scalarOrList().map { item in
                let text = try item.string()
                guard let value = TrafficClass.allCases.first(where: { $0.name == text }) else {
                    let known = TrafficClass.allCases.map(\.name).joined(separator: ", ")
                    throw item.error("unknown class '\(text)'; expected one of \(known)")
                }
                return value
            }
        }
        return match
    }

    private func matchNetwork(_ field: ProfileField) throws -> IPNetwork {
        let text = try field.string()
        guard let network = IPNetwork(text) else { throw field.error("'\(text)' is not a network such as 10.10.0.0/16") }
        guard network.masked == network else {
            throw field.error("'\(text)' has host bits set; did you mean \(network.masked)?")
        }
        return network
    }
}

extension ProfileField {
    /// A share: `30%`, or a plain number from 0 to 1 (`0.3`), inside `range`.
    func fraction(in range: ClosedRange<Double>, bounds: String) throws -> Double {
        let text = try string()
        let value: Double?
        if text.hasSuffix("%") { value = Double(text.dropLast()).map { $0 / 100 } } else { value = Double(text) }
        guard let value, value.isFinite else { throw error("expected a share such as 30% or 0.3, got '\(text)'") }
        guard range.contains(value) else { throw error("\(text) is not between \(bounds)") }
        return value
    }

    /// One scalar, or a list of them, as a list.
    func scalarOrList() throws -> [ProfileField] {
        if case .sequence = node.content { return try list() }
        return [self]
    }
}
