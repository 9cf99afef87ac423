import MLinkEmulator
import MLinkYAML

/// A benchmark scenario (examples/lab/scenarios/NAME.yaml): how VM0's two links behave during a run.
///
/// ```yaml
/// description: one link cut for 5 s in the middle
/// seconds: 20            # the full run
/// short-seconds: 6       # the CI form (`bench --short`); script times given as shares scale with it
/// deadline: 150ms        # optional; a packet later than this is useless to a real-time application
/// nets:                  # VM0's links to the router, emulated in both directions; VM2's link stays clean
///   net0: {delay: 20ms, jitter: 2ms}
///   net1: {delay: 35ms, jitter: 3ms}
/// script:                # optional timed changes (see TimeScript), `at` in seconds or as a share of the run
///   - {at: 40%, net: net0, down: on}
///   - {at: 65%, net: net0, down: off}
/// mlink: {mode: failover, links: [{name: enp0s3}, {name: enp0s8, role: backup}]}   # optional, Scenario+Policy
/// modes: [redundant, adaptive]   # optional: one run per mode, with per-mode `checks` (Scenario+Modes)
/// ```
/// `nets` may also set `net3`, a third link (VM0 enp0s9 to VM1 enp0s10); the bench topology has it only then.
struct Scenario: Equatable {
    /// The file's base name.
    var name: String
    var description: String
    var seconds: Double
    var shortSeconds: Double
    /// Seconds.
    var deadline: Double
    /// The emulated links by net name, in file order (net0 and net1 of the bench topology).
    var nets: [(name: String, emulation: Emulation)]
    var script: TimeScript
    /// The `mlink` key: the link policy written into VM0's profile (Scenario+Policy.swift); nil: plain links.
    var mlink: ScenarioPolicy?
    /// The `modes` key: the mlink modes measured one after another (Scenario+Modes.swift); empty: one run as before.
    var modes: [String] = []
    /// The `checks` key, by mode.
    var checks: [String: ModeChecks] = [:]

    static func == (a: Scenario, b: Scenario) -> Bool {
        a.name == b.name && a.description == b.description && a.seconds == b.seconds
            && a.shortSeconds == b.shortSeconds && a.deadline == b.deadline && a.script == b.script && a.mlink == b.mlink
            && a.modes == b.modes && a.checks == b.checks
            && a.nets.map(\.name) == b.nets.map(\.name) && a.nets.map(\.emulation) == b.nets.map(\.emulation)
    }

    /// VM0's two links in the bench topology, always there.
    static let linkNets = ["net0", "net1"]
    /// The optional third link: in the topology only when a scenario sets it.
    static let thirdNet = "net3"
    /// Every net a scenario may set.
    static let allNets = linkNets + [thirdNet]

    /// The keys a scenario file may hold.
    static let keys = ["description", "seconds", "short-seconds", "deadline", "nets", "script", "mlink", "modes", "checks"]

    /// Whether the scenario sets the third link.
    var hasThirdLink: Bool { nets.contains { $0.name == Scenario.thirdNet } }

    static func load(file path: String) throws(LabError) -> Scenario {
        let root = try LabFileReader.readDocument(path: path, documentName: "scenario",
                                                  contents: "a mapping of \(keys.joined(separator: ", "))")
        return try read(root, file: path)
    }

    static func read(_ root: YAMLNode, file: String) throws(LabError) -> Scenario {
        let reader = LabFileReader(file: file)
        let base = file.split(separator: "/").last.map(String.init) ?? file
        var scenario = Scenario(name: base.hasSuffix(".yaml") ? String(base.dropLast(5)) : base, description: "",
                                seconds: 20, shortSeconds: 6, deadline: 0.15, nets: [], script: TimeScript(entries: []))
        var checksNode: YAMLNode?
        for entry in try reader.mapping(root, "", keys: keys, what: "scenario") {
            let key = try reader.scalar(entry.key, "scenario")
            let value = entry.value
            func text() throws(LabError) -> String { try reader.scalar(value, key) }
            func positiveSeconds() throws(LabError) -> Double {
                let raw = try text()
                guard let seconds = raw.hasSuffix("s") ? Emulation.duration(raw) : Double(raw), seconds > 0 else {
                    throw reader.error(at: value, key, "'\(raw)' is not a positive time such as 20 or 20s")
                }
                return seconds
            }
            switch key {
            case "description": scenario.description = try text()
            case "seconds": scenario.seconds = try positiveSeconds()
            case "short-seconds": scenario.shortSeconds = try positiveSeconds()
            case "deadline":
                let raw = try text()
                guard let seconds = Emulation.duration(raw), seconds > 0 else {
                    throw reader.error(at: value, key, "'\(raw)' is not a positive duration such as 150ms")
                }
                scenario.deadline = seconds
            case "nets":
                for net in try reader.mapping(value, "nets", keys: allNets) {
                    let name = try reader.scalar(net.key, "nets")
                    let path = "nets.\(name)"
                    var emulation = Emulation()
                    for setting in try reader.mapping(net.value, path, keys: Emulation.keys) {
                        let settingKey = try reader.scalar(setting.key, path)
                        let settingPath = "\(path).\(settingKey)"
                        let settingValue = try reader.scalar(setting.value, settingPath)
                        do throws(Emulation.SettingError) { try emulation.apply(key: settingKey, value: settingValue) } catch {
                            throw reader.error(at: setting.value, settingPath, error.problem)
                        }
                    }
                    scenario.nets.append((name, emulation))
                }
            case "mlink": scenario.mlink = try ScenarioPolicy.read(value, reader: reader)
            case "modes": scenario.modes = try readModes(value, reader: reader)
            case "checks": checksNode = value
            default:  // "script": the mapping above refused every other key
                // The script may name net3 only when the nets set it (wherever in the file they are).
                let setsThird = root.mappingEntries?.first { $0.key.scalarText == "nets" }?.value.mappingEntries?
                    .contains { $0.key.scalarText == thirdNet } ?? false
                scenario.script = try TimeScript.read(value, reader: reader, path: "script",
                                                      nets: setsThird ? allNets : linkNets,
                                                      allowsShares: true)
            }
        }
        if let checksNode { scenario.checks = try readChecks(checksNode, reader: reader, scenario: scenario) }
        for net in linkNets where !scenario.nets.contains(where: { $0.name == net }) {
            scenario.nets.append((net, Emulation()))
        }
        scenario.nets.sort { $0.name < $1.name }
        return scenario
    }

    /// The emulation of `net` for a run of `runSeconds`: both directions as the file says, the script's
    /// steps for that net (shares scaled to the run), epoch and seed set by the caller.
    func emulation(of net: String, runSeconds: Double) throws(LabError) -> WireEmulation {
        let base = nets.first { $0.name == net }?.emulation ?? Emulation()
        var emulation = WireEmulation(forward: base, backward: base)
        emulation.script = try script.steps(forNet: net, ends: ["vm0", "vm1"], runSeconds: runSeconds)
        return emulation
    }

    /// Each link's forward settings at `t` seconds into a run of `runSeconds` (base plus the steps passed).
    func settings(at t: Double, runSeconds: Double) -> [Emulation] {
        nets.map { net in
            var emulation = net.emulation
            for entry in script.entries where entry.net == net.name && entry.from != "vm1" {
                let at = entry.atIsShare ? entry.at * runSeconds : entry.at
                if at <= t { for word in entry.settings { try? emulation.apply(word) } }
            }
            return emulation
        }
    }

    /// Whether a link is in an outage at `t` (down, or in the down part of its flap period).
    static func isDown(_ emulation: Emulation, at t: Double) -> Bool {
        if emulation.down { return true }
        guard let flap = emulation.flap, flap.down > 0 else { return false }
        return t.truncatingRemainder(dividingBy: flap.period) < flap.down
    }

    /// The loss a perfect redundant tunnel would see, VM0 to the router: the time average of the product of
    /// the links' loss probabilities (an outage counts as 1), sampled every millisecond of the run.
    func idealLoss(runSeconds: Double) -> Double { idealLoss(from: 0, to: runSeconds, runSeconds: runSeconds) }

    /// The same over the part of the run from `from` to `to` seconds (the time a link is cut, say).
    func idealLoss(from: Double, to: Double, runSeconds: Double) -> Double {
        let samples = max(1, Int((to - from) * 1000))
        var sum = 0.0
        for index in 0..<samples {
            let t = from + (Double(index) + 0.5) / 1000
            sum += settings(at: t, runSeconds: runSeconds).reduce(1.0) { product, link in
                product * (Scenario.isDown(link, at: t) ? 1 : 1 - (1 - link.loss) * (1 - (link.burst?.meanLoss ?? 0)))
            }
        }
        return sum / Double(samples)
    }

    /// The fastest live link's fixed delay at `t` (seconds), nil when every link is down.
    func idealDelay(at t: Double, runSeconds: Double) -> Double? {
        settings(at: t, runSeconds: runSeconds).filter { !Scenario.isDown($0, at: t) }.map(\.delay).min()
    }

    /// How much burst loss inflates the variance of a loss count: (1+rho)/(1-rho) for the most correlated
    /// link's Gilbert-Elliott chain (rho = 1-p-r), 1 without burst loss.
    var lossVarianceInflation: Double {
        nets.compactMap(\.emulation.burst).map { burst in
            let rho = min(0.99, max(0, 1 - burst.p - burst.r))
            return (1 + rho) / (1 - rho)
        }.max() ?? 1
    }

    /// The times (seconds into the run) where the script changes something, for the picture's window.
    func stepTimes(runSeconds: Double) -> [Double] {
        script.entries.map { $0.atIsShare ? $0.at * runSeconds : $0.at }
    }
}
