import Foundation

/// A time script: timed emulation changes, read from YAML.
///
/// ```yaml
/// - {at: 0s, delay: 40ms, jitter: 8ms}
/// - {at: 12.5s, delay: 80ms, loss: 5%}
/// - {at: 20s, from: vm0, down: on}     # one direction only: packets leaving vm0
/// ```
/// `at` is seconds after the script starts (or, in a scenario, a share of the run: `40%`); every other key is
/// an `Emulation` setting. A scenario's steps also name their `net`. Steps must be in time order.
struct TimeScript: Equatable {
    /// One step before it is bound to a net's directions.
    struct Entry: Equatable {
        var at: Double
        /// True when `at` was a share of the run (0...1) rather than seconds.
        var atIsShare: Bool
        var net: String?
        /// A host name: the direction of packets leaving it; nil for both directions.
        var from: String?
        var settings: [String]
    }

    var entries: [Entry]

    /// Reads a sequence of steps; `needsNet` requires (and otherwise refuses) a `net` key per step.
    static func read(_ node: YAMLNode, file: String, needsNet: Bool) throws(LabError) -> TimeScript {
        func fail(_ mark: YAMLNode.Mark, _ problem: String) -> LabError {
            .scenario(file: file, problem: "line \(mark.line): \(problem)")
        }
        guard case .sequence(let items, _) = node else { throw fail(node.mark, "expected a list of {at: TIME, KEY: VALUE...}") }
        var entries: [Entry] = []
        for item in items {
            guard case .mapping(let pairs, _) = item else { throw fail(item.mark, "expected {at: TIME, KEY: VALUE...}") }
            var entry = Entry(at: -1, atIsShare: false, net: nil, from: nil, settings: [])
            var probe = Emulation()
            for (keyNode, valueNode) in pairs {
                guard case .scalar(let key, _) = keyNode, case .scalar(let value, _) = valueNode else {
                    throw fail(keyNode.mark, "expected KEY: VALUE")
                }
                switch key {
                case "at":
                    if value.hasSuffix("%"), let share = Emulation.share(value) {
                        entry.at = share
                        entry.atIsShare = true
                    } else if let seconds = value.hasSuffix("ms") || value.hasSuffix("s") || value.hasSuffix("us")
                                ? Emulation.duration(value) : Double(value) {
                        entry.at = seconds
                    } else {
                        throw fail(valueNode.mark, "at: '\(value)' is not a time such as 12.5s or 40%")
                    }
                case "net" where needsNet: entry.net = value
                case "from": entry.from = value
                default:
                    do { try probe.apply(key: key, value: value) } catch { throw fail(keyNode.mark, error.description) }
                    entry.settings.append("\(key)=\(value)")
                }
            }
            guard entry.at >= 0 else { throw fail(item.mark, "every step needs 'at'") }
            if needsNet && entry.net == nil { throw fail(item.mark, "every step needs 'net'") }
            if let last = entries.last, last.atIsShare == entry.atIsShare, last.at > entry.at {
                throw fail(item.mark, "steps must be in time order")
            }
            entries.append(entry)
        }
        return TimeScript(entries: entries)
    }

    /// The steps for one net as the relay takes them, `at` in seconds (shares scaled by `runSeconds`).
    func steps(forNet net: String?, ends: [String], runSeconds: Double) throws(LabError) -> [WireEmulation.ScriptStep] {
        try entries.filter { net == nil || $0.net == net }.map { (entry) throws(LabError) in
            var direction = WireEmulation.Direction.both
            if let from = entry.from {
                guard let index = ends.firstIndex(of: from) else {
                    throw .scenario(file: net ?? "script", problem: "from: \(from) is not an end of the net (\(ends.joined(separator: ", ")))")
                }
                direction = index == 0 ? .forward : .backward
            }
            return WireEmulation.ScriptStep(at: entry.atIsShare ? entry.at * runSeconds : entry.at,
                                            direction: direction, settings: entry.settings)
        }.sorted { $0.at < $1.at }
    }
}

extension YAMLNode {
    /// Reads and parses a whole YAML file (a scenario or a time script); errors name the file and line.
    static func load(file path: String) throws(LabError) -> YAMLNode {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .file(operation: "reading", path: path, reason: "no such file")
        }
        let node: YAMLNode?
        do {
            node = try YAMLNode.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw .scenario(file: path, problem: "line \(error.mark.line): \(error.problem)")
        }
        guard let node else { throw .scenario(file: path, problem: "the file is empty") }
        return node
    }
}
