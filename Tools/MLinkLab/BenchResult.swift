import MLinkEmulator
import Foundation

/// A scenario's figures: per run and stream, the ideal, and the short form's checks.
///
/// The checks, with their statistical margins (z = 3.29, a two-sided 99.9% normal interval):
/// - availability: mlink's share of packets delivered within the deadline must not fall below the best single
///   link's by more than z * sqrt(v_single/n + v_mlink/n), v = max(a(1-a), 1/n) * inflation, where `inflation`
///   is the Gilbert-Elliott chain's variance factor (1+rho)/(1-rho) (1 without burst loss);
/// - loss: mlink's lost share must not exceed the ideal (the time-average product of the links' loss
///   probabilities) by more than z * sqrt(max(ideal, 1/n) * (1-ideal) * inflation / n);
/// - duplicates: the application sees none;
/// - delay: mlink's audio packets arrive on average at most 5 ms later than the fastest live link's fixed delay
///   at their send time (it follows the faster link, also across an outage; not a statistical bound: a
///   tunnel-overhead budget that covers a debug build on a busy 2-core machine, ~2.5 ms there).
/// Both streams count together (n = all packets sent through mlink). The floor 1/n keeps a zero ideal from
/// demanding literally zero: about three packets of slack in a run with no expected loss.
struct BenchResult {
    struct Run: Codable {
        var id: String
        var title: String
        var audio: StreamStatistics
        var video: StreamStatistics
        var total: StreamStatistics
    }

    struct Check: Codable {
        var name: String
        var passed: Bool
        var detail: String
    }

    var scenario: Scenario
    var runSeconds: Double
    var isShort: Bool
    var runs: [Run] = []
    /// mlink's wire bytes per net during the run, both directions, by message type (BenchResult+Wire.swift).
    var wire: [String: WireTally] = [:]
    /// A scenario's link policy and its failover or budget figures (BenchResult+Policy.swift).
    var policyLines: [String] = []
    /// The run's mlink mode (a scenario's `modes`; nil: the profile's default), its extra bytes, VM0's traffic
    /// by purpose and the lines about them (BenchResult+Modes.swift).
    var mode: String?
    var extra: ExtraBytes?
    var purposes: [String: Int] = [:]
    /// The router's view of what rescued vm0's packets (`rescueKeys`, growth over the run).
    var rescued: [String: Int] = [:]
    var modeLines: [String] = []
    var idealLoss: Double
    /// The fastest link's fixed delay, seconds (what mlink's delay should follow while that link is up).
    var idealDelay: Double
    var checks: [Check] = []
    /// Per run id: audio packets as (seconds since the start, delay in ms or nil when lost or late), for the picture.
    var audioSeries: [String: [(Double, Double?)]] = [:]
    /// Per run id: every first copy's delay in ms, sorted, and the number sent, for the distribution.
    var delays: [String: (sorted: [Double], sent: Int)] = [:]

    static let z = 3.29
    static let delayBudgetMs = 5.0

    init(scenario: Scenario, runSeconds: Double, isShort: Bool, start: Int64, paths: [Bench.Path],
         sent: [String: [String: Int]], records: [StreamRecord]) {
        self.scenario = scenario
        self.runSeconds = runSeconds
        self.isShort = isShort
        idealLoss = scenario.idealLoss(runSeconds: runSeconds)
        idealDelay = scenario.nets.map(\.emulation.delay).min() ?? 0
        let ideal = { (t: Double) in scenario.idealDelay(at: t, runSeconds: runSeconds) }
        let byRun = Dictionary(grouping: records, by: \.run)
        for path in paths {
            let mine = byRun[path.id] ?? []
            let counts = sent[path.id] ?? [:]
            let audioRecords = mine.filter { $0.stream == 0 }, videoRecords = mine.filter { $0.stream == 1 }
            let audio = StreamStatistics.compute(audioRecords, sent: counts["audio"] ?? 0, deadline: scenario.deadline,
                                                 start: start, idealDelay: ideal)
            let video = StreamStatistics.compute(videoRecords, sent: counts["video"] ?? 0, deadline: scenario.deadline,
                                                 start: start, idealDelay: ideal)
            runs.append(Run(id: path.id, title: path.title, audio: audio, video: video,
                            total: StreamStatistics.combined([audio, video])))
            var firstAudio: [Int: Double] = [:]
            for record in audioRecords where firstAudio[record.sequence] == nil {
                firstAudio[record.sequence] = Double(record.receivedAt - record.sentAt) / 1e6
            }
            audioSeries[path.id] = (0..<(counts["audio"] ?? 0)).map { sequence in
                let delay = firstAudio[sequence].flatMap { $0 <= scenario.deadline * 1000 ? $0 : nil }
                return (Double(sequence) * 0.02, delay)
            }
            var seen = Set<Int>()
            var all: [Double] = []
            for record in mine where seen.insert(record.stream << 32 | record.sequence).inserted {
                all.append(Double(record.receivedAt - record.sentAt) / 1e6)
            }
            delays[path.id] = (all.sorted(), (counts["audio"] ?? 0) + (counts["video"] ?? 0))
        }
        checks = makeChecks()
    }

    /// The single-link run that delivered the most in time (chosen after the fact: the strictest comparison).
    var bestSingle: Run? {
        runs.filter { $0.id == "net0" || $0.id == "net1" }.max { $0.total.availability < $1.total.availability }
    }

    var mlink: Run? { runs.first { $0.id == "mlink" } }

    private func makeChecks() -> [Check] {
        guard let mlink, let single = bestSingle, mlink.total.sent > 0 else {
            return [Check(name: "ran", passed: false, detail: "no mlink or single-link figures")]
        }
        let n = Double(mlink.total.sent)
        let inflation = scenario.lossVarianceInflation
        func variance(_ a: Double) -> Double { max(a * (1 - a), 1 / n) * inflation }
        let (am, as_) = (mlink.total.availability, single.total.availability)
        let availabilityMargin = BenchResult.z * (variance(am) / n + variance(as_) / n).squareRoot()
        let loss = Double(mlink.total.lost) / n
        let lossMargin = BenchResult.lossMargin(ideal: idealLoss, n: n, inflation: inflation)
        return [
            Check(name: "availability", passed: am >= as_ - availabilityMargin,
                  detail: String(format: "mlink %.3f%% vs best single link (%@) %.3f%%, margin %.3f points",
                                 am * 100, single.id, as_ * 100, availabilityMargin * 100)),
            Check(name: "loss", passed: loss <= idealLoss + lossMargin,
                  detail: String(format: "mlink lost %.3f%%, ideal %.3f%%, margin %.3f points",
                                 loss * 100, idealLoss * 100, lossMargin * 100)),
            Check(name: "duplicates", passed: mlink.total.duplicates == 0,
                  detail: "\(mlink.total.duplicates) duplicates reached the application"),
            Check(name: "delay", passed: (mlink.audio.excessOverIdealMs ?? 0) <= BenchResult.delayBudgetMs,
                  detail: String(format: "mlink's audio delay %+.2f ms over the fastest live link's on average, budget %.0f ms",
                                 mlink.audio.excessOverIdealMs ?? 0, BenchResult.delayBudgetMs)),
        ]
    }

    var passed: Bool { checks.allSatisfy(\.passed) }

    // MARK: Output

    /// The terminal table.
    var table: String {
        var lines: [String] = []
        let settings = scenario.nets.map { "\($0.name): \($0.emulation.words.joined(separator: " "))" }
        lines.append("scenario \(scenario.name): \(scenario.description)")
        lines.append(String(format: "  %.0f s%@, deadline %.0f ms; ", runSeconds, isShort ? " (short)" : "",
                            scenario.deadline * 1000) + settings.joined(separator: "; "))
        if !scenario.script.entries.isEmpty {
            let steps = scenario.script.entries.map { entry in
                let at = entry.atIsShare ? entry.at * runSeconds : entry.at
                return String(format: "%.1fs %@ %@", at, entry.net ?? "", entry.settings.joined(separator: " "))
            }
            lines.append("  script: " + steps.joined(separator: ", "))
        }
        let header = ["run", "stream", "sent", "lost", "late", "dup", "reord", "p50", "p95", "p99", "max", "gap",
                      "avail%"]
        var rows = [header]
        func ms(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "-" }
        for run in runs {
            for (name, s) in [("audio", run.audio), ("video", run.video)] {
                rows.append([run.title, name, "\(s.sent)", "\(s.lost)", "\(s.late)", "\(s.duplicates)", "\(s.reordered)",
                             ms(s.p50Ms), ms(s.p95Ms), ms(s.p99Ms), ms(s.maxMs),
                             s.longestGapPackets > 0 ? "\(s.longestGapPackets)p/\(Int(s.longestGapMs))ms" : "0",
                             String(format: "%.2f", s.availability * 100)])
            }
        }
        rows.append(["ideal", "", "", String(format: "%.3f%%", idealLoss * 100), "", "", "", ms(idealDelay * 1000),
                     "", "", "", "", String(format: "%.2f", (1 - idealLoss) * 100)])
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append("  " + row.enumerated().map { column, cell in
                column < 2 ? cell.padded(widths[column]) : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
        lines.append("  delays in ms; gap = longest run of packets not delivered in time (packets/send-time span); "
                     + "ideal = product of the links' loss, fastest link's delay")
        if let excess = mlink?.audio.excessOverIdealMs {
            lines.append(String(format: "  mlink audio delay over the fastest live link: %+.2f ms on average", excess))
        }
        lines += wireLines
        if let extra { lines.append("  mlink's extra bytes (beyond one copy of the stream's data): " + extra.text) }
        lines += modeLines + policyLines
        for check in checks { lines.append("  check \(check.name): \(check.passed ? "PASS" : "FAIL") (\(check.detail))") }
        return lines.joined(separator: "\n")
    }

    /// The JSON written next to the picture.
    func json(machine: [String: String]) -> Data {
        struct Output: Encodable {
            var scenario: String
            var description: String
            var seconds: Double
            var short: Bool
            var deadlineMs: Double
            var nets: [String: [String]]
            var script: [String]
            var machine: [String: String]
            var runs: [Run]
            var idealLossPercent: Double
            var idealDelayMs: Double
            var checks: [Check]
            var passed: Bool
            var policy: [String]
            var mode: String?
            var extraBytes: ExtraBytes?
            var extraBytesPercent: Double?
            var vm0SentByPurpose: [String: Int]
            var vm1RescuedFromVM0: [String: Int]
            var modeLines: [String]
        }
        let output = Output(
            scenario: scenario.name, description: scenario.description, seconds: runSeconds, short: isShort,
            deadlineMs: scenario.deadline * 1000,
            nets: Dictionary(uniqueKeysWithValues: scenario.nets.map { ($0.name, $0.emulation.words) }),
            script: scenario.script.entries.map { "at \($0.atIsShare ? $0.at * runSeconds : $0.at)s \($0.net ?? ""): \($0.settings.joined(separator: " "))" },
            machine: machine, runs: runs, idealLossPercent: idealLoss * 100, idealDelayMs: idealDelay * 1000,
            checks: checks, passed: passed, policy: policyLines, mode: mode, extraBytes: extra,
            extraBytesPercent: extra.map { $0.share * 100 }, vm0SentByPurpose: purposes,
            vm1RescuedFromVM0: rescued, modeLines: modeLines)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(output)) ?? Data()
    }
}
