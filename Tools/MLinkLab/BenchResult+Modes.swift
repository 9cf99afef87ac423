import Foundation
import MLinkEmulator

/// Extra bytes, per-mode checks and the adaptive plan of a run (issue 15).
///
/// Extra bytes: what mlink put on VM0's link nets (both directions, the relays' tallies, Ethernet, IP and UDP
/// headers included) beyond one copy of each packet of the stream, in % of that one copy. One copy of a packet
/// is its data frame: 14 (Ethernet) + 20 (IP) + 8 (UDP) + 44 (mlink data header and tags) + 28 (inner IPv4 and
/// UDP) + the stream's payload (scripts/avstream.py: audio 160 B, video 1250 B). The rest is said by kind:
/// further data frames (duplicates, replays and cross-link repairs: the relay cannot tell them apart; VM0's
/// own `show --json` splits them), parity (type 7), probes (type 5) and control (types 2, 3, 6: handshake
/// responses, control messages, receiver feedback and NACKs; type 1 is not counted, BenchResult+Wire.swift).
struct ExtraBytes: Codable, Equatable {
    /// One copy of every packet sent through mlink, as frames on a link.
    var dataBytes: Int
    var copyBytes: Int
    var parityBytes: Int
    var probeBytes: Int
    var controlBytes: Int

    var extraBytes: Int { copyBytes + parityBytes + probeBytes + controlBytes }
    /// Extra bytes as a share of `dataBytes` (0.1 = 10%).
    var share: Double { dataBytes > 0 ? Double(extraBytes) / Double(dataBytes) : 0 }

    /// Per data frame: Ethernet, IP, UDP, mlink's 44 bytes, the inner IPv4 and UDP headers (PROTOCOL.md §3, §11).
    static let frameOverhead = 14 + 20 + 8 + 44 + 20 + 8
    /// The stream's payloads (scripts/avstream.py AUDIO_SIZE, VIDEO_SIZE).
    static let audioPayload = 160
    static let videoPayload = 1250

    /// From the nets' tallies (summed over nets) and the packets sent through mlink per stream.
    static func compute(wire: [String: WireTally], audioSent: Int, videoSent: Int) -> ExtraBytes {
        let data = audioSent * (frameOverhead + audioPayload) + videoSent * (frameOverhead + videoPayload)
        let sum = { (slot: Int) in wire.values.reduce(0) { $0 + $1.bytes[slot] } }
        return ExtraBytes(dataBytes: data, copyBytes: max(0, sum(4) - data), parityBytes: sum(7), probeBytes: sum(5),
                          controlBytes: sum(2) + sum(3) + sum(6))
    }

    /// `+4.1% (copies 2.0, parity 0.0, probes 1.5, control 0.6)`.
    var text: String {
        func percent(_ bytes: Int) -> Double { dataBytes > 0 ? Double(bytes) * 100 / Double(dataBytes) : 0 }
        return String(format: "%+.1f%% (copies %.1f, parity %.1f, probes %.1f, control %.1f)", share * 100,
                      percent(copyBytes), percent(parityBytes), percent(probeBytes), percent(controlBytes))
    }
}

extension BenchResult {
    /// The check name of each `checks` key.
    static let modeCheckNames = ["loss", "extra-bytes", "lost", "late", "p99-audio", "cut-loss"]

    /// Adds the mode's extra bytes, VM0's traffic by purpose, the adaptive plans and (when the scenario has
    /// `checks` for this mode) replaces the standard loss check with the scenario's targets (the standard
    /// availability, duplicates and mean-delay checks keep holding, as policies.md section 6 asks of every row).
    mutating func addModeFigures(mode: String?, records: [StreamRecord], start: Int64, showBefore: [String: Any]?,
                                 showAfter: [String: Any]?, levelSeconds: [String: Int] = [:],
                                 receiverBefore: [String: Any]? = nil, receiverAfter: [String: Any]? = nil) {
        self.mode = mode
        if !levelSeconds.isEmpty {
            let order = ["single", "retransmit", "parity", "duplicate"]
            let known = order.filter { levelSeconds[$0] != nil }
                + levelSeconds.keys.filter { !order.contains($0) && !$0.hasPrefix("why ") }.sorted()
            modeLines.append("  adaptive level, sampled once a second (vm0 show --json policies.adaptive): "
                             + known.map { "\($0) \(levelSeconds[$0]!) s" }.joined(separator: ", "))
            let reasons = levelSeconds.keys.filter { $0.hasPrefix("why ") }.sorted()
            if !reasons.isEmpty {
                modeLines.append("  the reasons: " + reasons.map { "\($0) (\(levelSeconds[$0]!) s)" }.joined(separator: "; "))
            }
        }
        if let mlink, !wire.isEmpty {
            extra = ExtraBytes.compute(wire: wire, audioSent: mlink.audio.sent, videoSent: mlink.video.sent)
        }
        if let showAfter {
            let keys = ["tx_data_bytes", "tx_duplicate_bytes", "tx_replay_bytes", "tx_parity_bytes", "tx_probe_bytes",
                        "tx_control_bytes", "repaired", "repair_misses", "replayed", "parity_sent"]
            let after = BenchResult.sums(showAfter, keys: keys)
            let before = showBefore.map { BenchResult.sums($0, keys: keys) } ?? [:]
            purposes = BenchResult.growth(after, since: before)
            modeLines.append("  vm0 sent (show --json, mlink's UDP payloads): " + keys.map { key in
                "\(key.replacingOccurrences(of: "tx_", with: "")) \(purposes[key] ?? 0)"
            }.joined(separator: ", "))
            if let plans = (showAfter["policies"] as? [String: Any])?["adaptive"] as? [[String: Any]] {
                for plan in plans {
                    modeLines.append("  adaptive plan at the end (vm0 policies.adaptive): " + plan.keys.sorted().map {
                        "\($0) \(plan[$0].map { "\($0)" } ?? "")"
                    }.joined(separator: ", "))
                }
            }
        }
        if let receiverAfter, let after = BenchResult.peerCounters(receiverAfter, peer: "vm0", keys: BenchResult.rescueKeys) {
            let before = receiverBefore.flatMap { BenchResult.peerCounters($0, peer: "vm0", keys: BenchResult.rescueKeys) } ?? [:]
            rescued = BenchResult.growth(after, since: before)
            modeLines.append("  " + BenchResult.rescueLine(rescued, sender: purposes))
        }
        guard let targets = scenario.checks[mode ?? "redundant"] else { return }
        checks.removeAll { $0.name == "loss" }
        checks += modeChecks(targets, records: records, start: start)
    }

    /// The scenario's targets for this run's mode.
    func modeChecks(_ targets: ModeChecks, records: [StreamRecord], start: Int64) -> [Check] {
        guard let mlink, mlink.total.sent > 0 else { return [Check(name: "ran", passed: false, detail: "no mlink figures")] }
        var out: [Check] = []
        let n = Double(mlink.total.sent)
        if let factor = targets.lossFactor {
            let ideal = idealLoss * factor
            let margin = BenchResult.lossMargin(ideal: ideal, n: n, inflation: scenario.lossVarianceInflation)
            let loss = Double(mlink.total.lost) / n
            out.append(Check(name: "loss", passed: loss <= ideal + margin,
                             detail: String(format: "lost %.3f%%, %@ideal %.3f%%, margin %.3f points", loss * 100,
                                            factor == 1 ? "" : String(format: "%gx ", factor), ideal * 100, margin * 100)))
        }
        if let limit = targets.extraBytes {
            let share = extra?.share
            out.append(Check(name: "extra-bytes", passed: (share ?? .infinity) <= limit,
                             detail: (extra.map { $0.text } ?? "no relay tallies") + String(format: ", target <= %g%%", limit * 100)))
        }
        if let limit = targets.lost {
            out.append(Check(name: "lost", passed: mlink.total.lost <= limit, detail: "\(mlink.total.lost) lost, target <= \(limit)"))
        }
        if let limit = targets.late {
            out.append(Check(name: "late", passed: mlink.total.late <= limit,
                             detail: String(format: "%d later than %.0f ms, target <= %d", mlink.total.late,
                                            scenario.deadline * 1000, limit)))
        }
        if let over = targets.p99Audio {
            let best = bestSingle?.audio.p99Ms, mine = mlink.audio.p99Ms
            let passed = best != nil && mine != nil && mine! <= best! + over * 1000
            out.append(Check(name: "p99-audio", passed: passed,
                             detail: String(format: "audio p99 %@ ms vs best single link (%@) %@ ms, target <= +%.0f ms",
                                            mine.map { String(format: "%.1f", $0) } ?? "-", bestSingle?.id ?? "-",
                                            best.map { String(format: "%.1f", $0) } ?? "-", over * 1000)))
        }
        if let factor = targets.cutLossFactor {
            out.append(cutLossCheck(factor: factor, records: records, start: start))
        }
        return out
    }

    /// The loss of the packets mlink was given while the scripted cut lasted, against the ideal over that time
    /// (the product of the remaining links' loss) times `factor`, with the bench's margin for that many packets.
    func cutLossCheck(factor: Double, records: [StreamRecord], start: Int64) -> Check {
        guard let cut = scenario.cut(runSeconds: runSeconds) else {
            return Check(name: "cut-loss", passed: false, detail: "no scripted cut")
        }
        let end = scenario.repair(after: cut, runSeconds: runSeconds) ?? runSeconds
        let window = BenchResult.cutWindowLoss(records: records.filter { $0.run == "mlink" }, start: start, from: cut.at,
                                               to: end, audioSent: mlink?.audio.sent ?? 0, videoSent: mlink?.video.sent ?? 0)
        let ideal = scenario.idealLoss(from: cut.at, to: end, runSeconds: runSeconds) * factor
        guard window.sent > 0 else { return Check(name: "cut-loss", passed: false, detail: "no packet sent during the cut") }
        let n = Double(window.sent)
        let margin = BenchResult.lossMargin(ideal: ideal, n: n, inflation: scenario.lossVarianceInflation)
        let loss = Double(window.lost) / n
        return Check(name: "cut-loss", passed: loss <= ideal + margin,
                     detail: String(format: "%@ cut %.1f-%.1f s: %d of %d lost (%.3f%%), ideal %.3f%%, margin %.3f points",
                                    cut.net, cut.at, end, window.lost, window.sent, loss * 100, ideal * 100, margin * 100))
    }

    /// The bench's loss margin: z * sqrt(max(ideal, 1/n) * (1 - ideal) * inflation / n).
    static func lossMargin(ideal: Double, n: Double, inflation: Double) -> Double {
        z * (max(ideal, 1 / n) * (1 - min(ideal, 1)) * inflation / n).squareRoot()
    }

    /// Packets sent between `from` and `to` seconds into the run (audio packet i at i x 20 ms, video packet i in
    /// frame i / 8 at 40 ms a frame, as scripts/avstream.py sends them) and how many of them never arrived.
    static func cutWindowLoss(records: [StreamRecord], start: Int64, from: Double, to: Double, audioSent: Int,
                              videoSent: Int) -> (sent: Int, lost: Int) {
        func inWindow(_ t: Double) -> Bool { t >= from && t < to }
        let audio = (0..<audioSent).filter { inWindow(Double($0) * 0.02) }
        let video = (0..<videoSent).filter { inWindow(Double($0 / 8) * 0.04) }
        var arrived = Set<Int>()
        for record in records { arrived.insert(record.stream << 32 | record.sequence) }
        let lost = audio.filter { !arrived.contains($0) }.count + video.filter { !arrived.contains(1 << 32 | $0) }.count
        return (audio.count + video.count, lost)
    }

    /// The `share` quantile of sorted delays, as StreamStatistics takes its p50 and p99; nil when there are none.
    static func percentile(_ sorted: [Double], _ share: Double) -> Double? {
        sorted.isEmpty ? nil : sorted[min(sorted.count - 1, Int(share * Double(sorted.count)))]
    }

    /// What each counter of `after` grew by since `before` (a counter missing there counts from 0).
    static func growth(_ after: [String: Int], since before: [String: Int]) -> [String: Int] {
        after.reduce(into: [:]) { $0[$1.key] = $1.value - (before[$1.key] ?? 0) }
    }

    /// The router's counters of its peer vm0 that say what rescued vm0's packets (mlink.8: parity_recovered,
    /// delivered_late, delivered_after_nack).
    static let rescueKeys = ["delivered", "duplicates", "parity_recovered", "delivered_late", "delivered_after_nack"]

    /// The counters `keys` of the peer named `peer` in a `show --json` object, or nil when it has no such peer.
    static func peerCounters(_ json: [String: Any], peer: String, keys: [String]) -> [String: Int]? {
        guard let peers = json["peers"] as? [[String: Any]], let object = peers.first(where: { $0["name"] as? String == peer })
        else { return nil }
        return keys.reduce(into: [:]) { $0[$1] = (object[$1] as? NSNumber)?.intValue ?? 0 }
    }

    /// What rescued vm0's packets at the router, by mechanism: parity; delivery after the router's NACK (a
    /// repair, of which `sender` says how many vm0 sent, or a copy that came after the NACK); and the other late
    /// deliveries (a copy on the slower link whose faster twin was lost, a replay after a takeover, reordering).
    static func rescueLine(_ r: [String: Int], sender: [String: Int]) -> String {
        let late = r["delivered_late"] ?? 0, afterNack = r["delivered_after_nack"] ?? 0
        return "vm1 from vm0 (show --json): \(r["delivered"] ?? 0) delivered, \(r["duplicates"] ?? 0) duplicates dropped; "
            + "rescued by parity \(r["parity_recovered"] ?? 0); delivered after a NACK \(afterNack) (vm0 sent "
            + "\(sender["repaired"] ?? 0) repairs, \(sender["repair_misses"] ?? 0) NACKed packets past repair); "
            + "other late deliveries (a slower link's copy, a replay, reordering) \(late - afterNack)"
    }

    /// Sums of the numeric `keys` over a `show --json` document, each taken from the innermost objects that hold
    /// it (connections for traffic by purpose, peers for their counters), so nothing is counted twice.
    static func sums(_ json: Any, keys: [String]) -> [String: Int] {
        var out: [String: Int] = [:]
        func holds(_ value: Any, _ key: String) -> Bool {
            if let object = value as? [String: Any] { return object[key] != nil || object.values.contains { holds($0, key) } }
            if let array = value as? [Any] { return array.contains { holds($0, key) } }
            return false
        }
        func visit(_ value: Any, _ key: String) {
            if let object = value as? [String: Any] {
                let inner = object.values.contains { holds($0, key) }
                if !inner, let number = object[key] as? NSNumber { out[key, default: 0] += number.intValue }
                for child in object.values { visit(child, key) }
            } else if let array = value as? [Any] {
                for child in array { visit(child, key) }
            }
        }
        for key in keys { out[key] = 0; visit(json, key) }
        return out
    }

    /// The summary table: per run loss, late, delay and (mlink) extra bytes, for each mode's result and the
    /// single links of the first; one row per run.
    static func summary(_ results: [BenchResult]) -> String {
        guard let first = results.first else { return "" }
        var rows = [["run", "sent", "loss%", "late%", "p50", "p99", "audio p99", "extra bytes (% of one copy of the data)"]]
        func ms(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "-" }
        func row(_ run: Run, _ result: BenchResult, extra: String) -> [String] {
            let n = Double(max(run.total.sent, 1))
            let all = result.delays[run.id]?.sorted ?? []
            return [run.title, "\(run.total.sent)", String(format: "%.3f", Double(run.total.lost) * 100 / n),
                    String(format: "%.3f", Double(run.total.late) * 100 / n), ms(percentile(all, 0.5)),
                    ms(percentile(all, 0.99)), ms(run.audio.p99Ms), extra]
        }
        for run in first.runs where run.id != "mlink" { rows.append(row(run, first, extra: "-")) }
        for result in results {
            guard let mlink = result.mlink else { continue }
            rows.append(row(mlink, result, extra: result.extra?.text ?? "-"))
        }
        rows.append(["ideal", "", String(format: "%.3f", first.idealLoss * 100), "", ms(first.idealDelay * 1000), "", "", ""])
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = ["summary \(first.scenario.name) (\(results.count) mlink run(s) one after another on the same "
                     + "emulated conditions; single links and wireguard-go from the first run; delays in ms):"]
        for row in rows {
            var line = "  " + row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : column == 0 ? cell.padded(widths[column])
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
