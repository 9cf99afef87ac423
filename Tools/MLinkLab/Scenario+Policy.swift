import MLinkYAML

/// A scenario's `mlink` key: the link policy written into VM0's profile for the run (issue 14), so that a
/// bench can measure failover with a backup link, or a metered link with a budget.
///
/// ```yaml
/// mlink:
///   mode: failover                  # redundant (default) | failover
///   copies: 2                       # optional, redundant mode
///   standby-probe: 5s               # optional
///   links:                          # VM0's interfaces: enp0s3 (net0) and enp0s8 (net1)
///     - {name: enp0s3}
///     - {name: enp0s8, role: backup, metered: true, budget: {daily: 2MB}, over-budget: backup-only}
/// ```
/// The values are checked here as far as the lab knows them (names, roles, modes); mlink's own profile loader
/// checks the rest (sizes, durations) when the lab starts it.
struct ScenarioPolicy: Equatable {
    struct Link: Equatable {
        var interface: String
        var role = "primary"
        var metered = false
        /// `budget` entries as written, e.g. ["daily: 2MB"].
        var budget: [String] = []
        var overBudget: String?
        /// The bench net the interface is on (net0 or net1).
        var net: String { ScenarioPolicy.interfaces.first { $0.value == interface }!.key }
    }

    var mode = "redundant"
    var copies: Int?
    var standbyProbe: String?
    var links: [Link] = []

    static let keys = ["mode", "copies", "standby-probe", "links"]
    static let linkKeys = ["name", "role", "metered", "budget", "over-budget"]
    static let budgetKeys = ["monthly", "daily", "reset-day"]
    static let modes = ["redundant", "failover"]
    static let roles = ["primary", "secondary", "backup", "never"]
    static let overBudgetChoices = ["backup-only", "off"]
    /// VM0's interface on each link net of the bench topology.
    static let interfaces = ["net0": "enp0s3", "net1": "enp0s8"]

    static func read(_ node: YAMLNode, reader: LabFileReader) throws(LabError) -> ScenarioPolicy {
        var policy = ScenarioPolicy()
        func choice(_ value: YAMLNode, _ path: String, _ choices: [String]) throws(LabError) -> String {
            let text = try reader.scalar(value, path)
            guard choices.contains(text) else {
                throw reader.error(at: value, path, "'\(text)' is not one of \(choices.joined(separator: ", "))")
            }
            return text
        }
        for entry in try reader.mapping(node, "mlink", keys: keys) {
            let key = try reader.scalar(entry.key, "mlink")
            let path = "mlink.\(key)"
            switch key {
            case "mode": policy.mode = try choice(entry.value, path, modes)
            case "copies":
                let text = try reader.scalar(entry.value, path)
                guard let copies = Int(text), (1...32).contains(copies) else {
                    throw reader.error(at: entry.value, path, "'\(text)' is not a number of copies from 1 to 32")
                }
                policy.copies = copies
            case "standby-probe": policy.standbyProbe = try reader.scalar(entry.value, path)
            default:  // "links"
                for (index, item) in try reader.sequence(entry.value, path, expected: "a list of links").enumerated() {
                    policy.links.append(try readLink(item, path: "\(path)[\(index)]", reader: reader, choice: choice))
                }
            }
        }
        var seen = Set<String>()
        for link in policy.links where !seen.insert(link.interface).inserted {
            throw reader.error(at: node, "mlink.links", "'\(link.interface)' is listed twice")
        }
        return policy
    }

    private static func readLink(_ node: YAMLNode, path: String, reader: LabFileReader,
                                 choice: (YAMLNode, String, [String]) throws(LabError) -> String)
        throws(LabError) -> Link {
        let entries = try reader.mapping(node, path, keys: linkKeys)
        let nameNode = try reader.required(entries, "name", in: node, path: "\(path).name")
        let name = try reader.scalar(nameNode, "\(path).name")
        guard interfaces.values.contains(name) else {
            throw reader.error(at: nameNode, "\(path).name",
                               "'\(name)' is not one of VM0's interfaces (enp0s3 on net0, enp0s8 on net1)")
        }
        var link = Link(interface: name)
        for entry in entries {
            let key = try reader.scalar(entry.key, path)
            let keyPath = "\(path).\(key)"
            switch key {
            case "role": link.role = try choice(entry.value, keyPath, roles)
            case "metered": link.metered = try choice(entry.value, keyPath, ["true", "false"]) == "true"
            case "over-budget": link.overBudget = try choice(entry.value, keyPath, overBudgetChoices)
            case "budget":
                for setting in try reader.mapping(entry.value, keyPath, keys: budgetKeys) {
                    let settingKey = try reader.scalar(setting.key, keyPath)
                    link.budget.append("\(settingKey): \(try reader.scalar(setting.value, "\(keyPath).\(settingKey)"))")
                }
            default: break  // "name"
            }
        }
        if !link.budget.isEmpty && !link.metered {
            throw reader.error(at: node, "\(path).budget", "a budget needs metered: true")
        }
        return link
    }

    /// The profile lines that replace VM0's plain `links:` line. Interfaces the policy does not list stay
    /// primaries, as mlink itself does.
    var profileLines: [String] {
        var entries: [String] = []
        for interface in ["enp0s3", "enp0s8"] {
            guard let link = links.first(where: { $0.interface == interface }) else {
                entries.append("{name: \(interface)}")
                continue
            }
            var fields = ["name: \(interface)", "role: \(link.role)"]
            if link.metered { fields.append("metered: true") }
            if !link.budget.isEmpty { fields.append("budget: {\(link.budget.joined(separator: ", "))}") }
            if let overBudget = link.overBudget { fields.append("over-budget: \(overBudget)") }
            entries.append("{" + fields.joined(separator: ", ") + "}")
        }
        var lines = ["links: [" + entries.joined(separator: ", ") + "]", "mode: \(mode)"]
        if let copies { lines.append("copies: \(copies)") }
        if let standbyProbe { lines.append("standby-probe: \(standbyProbe)") }
        return lines
    }

    /// The net of the backup link in failover mode, if any.
    var backupNet: String? {
        guard mode == "failover" else { return nil }
        return links.first { $0.role == "backup" }?.net
    }

    /// The net of the first metered link, with its budget text.
    var metered: Link? { links.first { $0.metered } }
}
