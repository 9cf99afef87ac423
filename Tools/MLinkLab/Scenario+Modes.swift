import MLinkEmulator
import MLinkYAML

/// A scenario's `modes` and `checks` keys (issue 15): several mlink modes measured in one bench invocation,
/// each its own run of the same conditions, and the targets `--check` holds each mode to.
///
/// ```yaml
/// modes: [redundant, adaptive]      # optional; without it one run in mlink's default mode, as before
/// checks:                           # optional, per mode named in `modes`
///   adaptive:
///     loss: 3x ideal+margin         # lost share <= factor x ideal + the bench's margin (`ideal+margin`: factor 1)
///     extra-bytes: 15%              # wire bytes beyond one copy of the stream's data, in % of that data
///     lost: 0                       # at most this many packets never arrived
///     late: 0                       # at most this many arrived after the deadline
///     p99-audio: 10ms               # audio p99 one-way delay at most this much over the best single link's
///     cut-loss: ideal+margin        # loss of the packets sent during the scripted cut (needs one)
/// ```
/// A mode with an entry in `checks` is held to those targets plus the standard availability, duplicates and
/// mean-delay checks (its own `loss`, if any, replaces the standard one); a mode without one to the bench's
/// standard checks (availability, loss, duplicates, delay; BenchResult.swift).
struct ModeChecks: Equatable {
    /// `loss`: the factor on the ideal.
    var lossFactor: Double?
    /// `extra-bytes`, a share (0.1 = 10%).
    var extraBytes: Double?
    var lost: Int?
    var late: Int?
    /// `p99-audio`, seconds over the best single link's audio p99.
    var p99Audio: Double?
    /// `cut-loss`: the factor on the ideal over the cut.
    var cutLossFactor: Double?

    static let keys = ["loss", "extra-bytes", "lost", "late", "p99-audio", "cut-loss"]
}

extension Scenario {
    /// The modes a scenario may name: mlink's profile modes.
    static let modeChoices = ["redundant", "adaptive", "failover", "aggregate"]

    /// The runs of one bench invocation: one per mode, or one in the profile's default mode (nil).
    var runModes: [String?] { modes.isEmpty ? [nil] : modes }

    /// Reads `modes`.
    static func readModes(_ node: YAMLNode, reader: LabFileReader) throws(LabError) -> [String] {
        var modes: [String] = []
        for item in try reader.sequence(node, "modes", expected: "a list of modes such as [redundant, adaptive]") {
            let mode = try reader.scalar(item, "modes")
            guard modeChoices.contains(mode) else {
                throw reader.error(at: item, "modes", "'\(mode)' is not one of \(modeChoices.joined(separator: ", "))")
            }
            guard !modes.contains(mode) else { throw reader.error(at: item, "modes", "'\(mode)' is listed twice") }
            modes.append(mode)
        }
        guard !modes.isEmpty else { throw reader.error(at: node, "modes", "names no mode") }
        return modes
    }

    /// Reads `checks`; every mode must be one of `modes` (or `redundant`, the default run, without `modes`), and
    /// `cut-loss` needs a scripted cut. Called after the whole file is read.
    static func readChecks(_ node: YAMLNode, reader: LabFileReader, scenario: Scenario)
        throws(LabError) -> [String: ModeChecks] {
        var out: [String: ModeChecks] = [:]
        let allowed = scenario.modes.isEmpty ? ["redundant"] : scenario.modes
        for entry in try reader.mapping(node, "checks", keys: nil) {
            let mode = try reader.scalar(entry.key, "checks")
            guard allowed.contains(mode) else {
                throw reader.error(at: entry.key, "checks.\(mode)",
                                   "is not a mode this scenario runs (\(allowed.joined(separator: ", ")))")
            }
            var checks = ModeChecks()
            for item in try reader.mapping(entry.value, "checks.\(mode)", keys: ModeChecks.keys) {
                let key = try reader.scalar(item.key, "checks.\(mode)")
                let path = "checks.\(mode).\(key)"
                let text = try reader.scalar(item.value, path)
                func bad(_ expected: String) -> LabError { reader.error(at: item.value, path, "'\(text)' is not \(expected)") }
                switch key {
                case "loss", "cut-loss":
                    guard let factor = idealFactor(text) else { throw bad("ideal+margin or a factor such as 3x ideal+margin") }
                    if key == "loss" { checks.lossFactor = factor } else {
                        guard scenario.script.entries.contains(where: { $0.net != nil && $0.from == nil && $0.settings.contains("down=on") })
                        else { throw reader.error(at: item.key, path, "needs a scripted cut (a script entry with down: on)") }
                        checks.cutLossFactor = factor
                    }
                case "extra-bytes":
                    guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent >= 0, percent.isFinite
                    else { throw bad("a share of the data such as 10%") }
                    checks.extraBytes = percent / 100
                case "lost", "late":
                    guard let count = Int(text), count >= 0 else { throw bad("a number of packets, 0 or more") }
                    if key == "lost" { checks.lost = count } else { checks.late = count }
                default:  // "p99-audio"
                    guard let seconds = Emulation.duration(text), seconds >= 0 else { throw bad("a duration such as 10ms") }
                    checks.p99Audio = seconds
                }
            }
            out[mode] = checks
        }
        return out
    }

    /// `ideal+margin` -> 1, `3x ideal+margin` -> 3; nil for anything else.
    static func idealFactor(_ text: String) -> Double? {
        guard text.hasSuffix("ideal+margin") else { return nil }
        let prefix = String(text.dropLast("ideal+margin".count)).trimmingWhitespace()
        if prefix.isEmpty { return 1 }
        guard prefix.hasSuffix("x"), let factor = Double(prefix.dropLast()), factor > 0, factor.isFinite else { return nil }
        return factor
    }
}
