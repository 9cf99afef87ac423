import MLinkEmulator
import MLinkYAML

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
        /// Where `from` was written and its key path, so that a host that is no end of the net is reported
        /// there once the net is known.
        var fromLocation: (file: String, mark: YAMLMark, key: String)? = nil

        static func == (a: Entry, b: Entry) -> Bool {
            a.at == b.at && a.atIsShare == b.atIsShare && a.net == b.net && a.from == b.from && a.settings == b.settings
        }
    }

    var entries: [Entry]

    /// What a time script file should have held, for the error that says it is empty.
    static let documentContents = "a list of steps such as {at: 12.5s, delay: 80ms}"

    /// Reads a standalone time script file (`mlink-lab set --script`): times in seconds, no `net` keys.
    static func load(file path: String) throws(LabError) -> TimeScript {
        let root = try LabFileReader.readDocument(path: path, documentName: "time script", contents: documentContents)
        return try read(root, reader: LabFileReader(file: path), path: "steps", nets: nil, allowsShares: false)
    }

    /// Reads a sequence of steps at key path `path` (errors name `PATH[INDEX].KEY`).
    ///
    /// With `nets`, every step needs a `net` key naming one of them (a scenario's script); without, a `net`
    /// key is refused. `allowsShares` permits `at: 40%` (a share of the run, scenarios only).
    static func read(_ node: YAMLNode, reader: LabFileReader, path: String, nets: [String]?,
                     allowsShares: Bool) throws(LabError) -> TimeScript {
        let items = try reader.sequence(node, path, expected: "a list of {at: TIME, KEY: VALUE...}")
        var allowedKeys = ["at", "from"] + Emulation.keys
        if nets != nil { allowedKeys.insert("net", at: 1) }
        var entries: [Entry] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            var entry = Entry(at: -1, atIsShare: false, net: nil, from: nil, settings: [])
            var probe = Emulation()
            for pair in try reader.mapping(item, itemPath, keys: allowedKeys) {
                let key = try reader.scalar(pair.key, itemPath)
                let keyPath = "\(itemPath).\(key)"
                let value = try reader.scalar(pair.value, keyPath)
                switch key {
                case "at":
                    if value.hasSuffix("%"), let share = Emulation.share(value) {
                        guard allowsShares else {
                            throw reader.error(at: pair.value, keyPath, "'\(value)': use seconds here (shares of a run are for scenarios)")
                        }
                        entry.at = share
                        entry.atIsShare = true
                    } else if let seconds = value.hasSuffix("ms") || value.hasSuffix("s") || value.hasSuffix("us")
                                ? Emulation.duration(value) : Double(value), seconds >= 0 {
                        entry.at = seconds
                    } else {
                        throw reader.error(at: pair.value, keyPath, "'\(value)' is not a time such as 12.5s or 40%")
                    }
                case "net":
                    guard let nets, nets.contains(value) else {
                        throw reader.error(at: pair.value, keyPath, "'\(value)' is not one of \((nets ?? []).joined(separator: ", "))")
                    }
                    entry.net = value
                case "from":
                    entry.from = value
                    entry.fromLocation = (reader.file, pair.value.mark, keyPath)
                default:
                    do throws(Emulation.SettingError) { try probe.apply(key: key, value: value) } catch {
                        throw reader.error(at: pair.value, keyPath, error.problem)
                    }
                    entry.settings.append("\(key)=\(value)")
                }
            }
            guard entry.at >= 0 else { throw reader.error(at: item, itemPath, "every step needs 'at'") }
            if nets != nil && entry.net == nil { throw reader.error(at: item, itemPath, "every step needs 'net'") }
            if let last = entries.last, last.atIsShare == entry.atIsShare, last.at > entry.at {
                throw reader.error(at: item, itemPath, "steps must be in time order")
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
                    let problem = "'\(from)' is not an end of the net (\(ends.joined(separator: ", ")))"
                    guard let location = entry.fromLocation else {
                        throw .located(file: net ?? "script", line: 0, column: 0, key: "from", problem: problem)
                    }
                    throw .located(file: location.file, line: location.mark.line, column: location.mark.column,
                                   key: location.key, problem: problem)
                }
                direction = index == 0 ? .forward : .backward
            }
            return WireEmulation.ScriptStep(at: entry.atIsShare ? entry.at * runSeconds : entry.at,
                                            direction: direction, settings: entry.settings)
        }.sorted { $0.at < $1.at }
    }
}
