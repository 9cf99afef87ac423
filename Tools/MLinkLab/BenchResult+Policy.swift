import Foundation
import MLinkEmulator
import MLinkSystem

/// Scenarios with an `mlink` link policy (Scenario+Policy.swift): the policy goes into VM0's profile, the
/// relays' tallies are read once more just before the scripted cut, and the failover and budget figures and
/// checks are added to the table (issue 14, item 7).
extension Scenario {
    /// The first scripted `down: on` of a link net for the whole link (no `from`), with its time in seconds.
    func cut(runSeconds: Double) -> (net: String, at: Double)? {
        guard let entry = script.entries.first(where: { $0.net != nil && $0.from == nil && $0.settings.contains("down=on") })
        else { return nil }
        return (entry.net!, entry.atIsShare ? entry.at * runSeconds : entry.at)
    }

    /// The scripted `down: off` that ends the cut, seconds.
    func repair(after cut: (net: String, at: Double), runSeconds: Double) -> Double? {
        script.entries.filter { $0.net == cut.net && $0.settings.contains("down=off") }
            .map { $0.atIsShare ? $0.at * runSeconds : $0.at }.filter { $0 > cut.at }.min()
    }
}

extension Bench {
    /// Writes the scenario's link policy into VM0's profile and keeps mlink's budget state in the lab folder
    /// (not /var/lib/mlink, which would carry a spent budget into the next run).
    func applyPolicy(to topology: inout Topology) {
        guard let policy = scenario.mlink, let index = topology.hosts.firstIndex(where: { $0.name == "vm0" }) else { return }
        topology.hosts[index].profileLines = policy.profileLines
        if Files.environment("MLINK_STATE_DIR") == nil {
            setenv("MLINK_STATE_DIR", lab.paths.directory(of: labName) + "/state", 1)
        }
    }

    /// Runs the sender, reading the relays' tallies 50 ms before the cut (they are written once a second, so
    /// the sample holds what passed up to 0..1 s before it).
    func sendSamplingTallies(_ arguments: [String], start: Int64, cut: Double,
                             since before: [String: [String: WireTally]]) throws
        -> ((status: Int32, output: String), BenchResult.CutSample?) {
        let directory = lab.paths.directory(of: labName)
        let log = directory + "/sender.txt"
        let ip = findExecutable("ip") ?? "/usr/sbin/ip"
        let spawnedAt = tallyClock()
        let pid = try ProcessControl.spawnDetached(path: ip, arguments: arguments, inherit: [], logPath: log)
        // The window of the before-the-cut figures runs from the relays' first tally write after the spawn to
        // the write read before the cut, both ends write times (the files' modification times). A tally holds
        // what passed up to its write, up to a second before it is read: `before`, read just after the warm-up,
        // could miss the warm-up's last second (mlink's first ping, then 1 s for the probes to bring up every
        // link), which then counted as the backup's idle cost: 2 of 11 full backup.yaml runs had 766 B more on
        // the backup (51.4 B/s against 36.5), while a capture of net1 from the stream's start to the cut showed
        // the same frames in a passing and a failing run (one compact probe and its reply per 5 s).
        let (startTallies, startWritten) = talliesWritten(after: spawnedAt, directory)
        let wake = start + Int64((cut - 0.05) * 1e9)
        var sample: BenchResult.CutSample?
        let wait = (wake - Relay.now()) / 1_000_000
        if wait > 0 {
            ProcessControl.sleep(milliseconds: Int(wait))
            let (endTallies, endWritten) = talliesWithWriteTimes(directory)
            var seconds: [String: Double] = [:]
            for (net, end) in endWritten { seconds[net] = end - (startWritten[net] ?? spawnedAt) }
            sample = BenchResult.CutSample(seconds: seconds,
                                           wire: BenchResult.difference(endTallies, since: startTallies))
        }
        // Once more after the failback (the repair + revert-after + 1.5 s), when that is at least 2 s before the
        // end: from then on the backup should carry no data again.
        if let cutEntry = scenario.cut(runSeconds: runSeconds), let repair = scenario.repair(after: cutEntry, runSeconds: runSeconds) {
            let failedBack = repair + BenchResult.revertAfterSeconds + 1.5
            let wait = (start + Int64(failedBack * 1e9) - Relay.now()) / 1_000_000
            if failedBack <= runSeconds - 2, wait > 0 {
                ProcessControl.sleep(milliseconds: Int(wait))
                sample?.afterFailback = (failedBack, BenchResult.difference(readTallies(directory), since: before))
            }
        }
        let status = try ProcessControl.waitForExit(pid)
        let output = FileManager.default.contents(atPath: log).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return ((status, output), sample)
    }
}

extension BenchResult {
    /// The relays' tallies just before the cut: what each net carried from the first tally written after the
    /// sender started up to then (`seconds`).
    struct CutSample {
        /// Each net's window (s): from its relay's first tally write after the sender started to the write read
        /// before the cut.
        var seconds: [String: Double]
        var wire: [String: WireTally]
        /// The tallies read again once mlink should be back on the primary: at `at` seconds of the run.
        var afterFailback: (at: Double, wire: [String: WireTally])?
    }

    /// mlink's failback hold (revert-after, EngineConfiguration): the primary must be clean this long.
    static let revertAfterSeconds = 10.0

    /// Failover targets (issue 14): the first data on the backup within this after the cut (the arrival of the
    /// first packet sent after the cut, less the backup net's fixed delay: when it left on the backup, within
    /// the backup's jitter); the backup's probe and control traffic while the primary works stays under
    /// `backupIdleLimit` bytes/s.
    static let takeoverLimitMs = 100.0
    static let backupIdleLimit = 40.0

    /// Adds the policy lines and checks (no-op without an `mlink` key).
    mutating func addPolicyFigures(records: [StreamRecord], start: Int64, beforeCut: CutSample?) {
        guard let policy = scenario.mlink else { return }
        policyLines = ["  mlink policy (VM0): " + policy.profileLines.joined(separator: "; ")]
        policyLines += extraCopyLines
        if let backup = policy.backupNet, let cut = scenario.cut(runSeconds: runSeconds) {
            addFailoverFigures(backup: backup, cut: cut, records: records, start: start, beforeCut: beforeCut)
        }
        if let metered = policy.metered { addBudgetFigures(metered) }
    }

    /// Copies beyond the first (duplicates and replays; the relay cannot tell them apart): all nets' data
    /// frames less the packets mlink was given.
    var extraCopyLines: [String] {
        guard let mlink, !wire.isEmpty else { return [] }
        let frames = wire.values.reduce(0) { $0 + $1.frames[4] }, bytes = wire.values.reduce(0) { $0 + $1.bytes[4] }
        let extra = max(0, frames - mlink.total.sent)
        let extraBytes = frames > 0 ? bytes * extra / frames : 0
        return [String(format: "    copies beyond the first (duplicate + replay), all nets: %d frames, about %@ (%.1f%% of data)",
                       extra, Self.size(extraBytes), frames > 0 ? Double(extra) * 100 / Double(frames) : 0)]
    }

    private mutating func addFailoverFigures(backup: String, cut: (net: String, at: Double), records: [StreamRecord],
                                             start: Int64, beforeCut: CutSample?) {
        let cutNs = start + Int64(cut.at * 1e9)
        let first = records.filter { $0.run == "mlink" && $0.sentAt >= cutNs }.map(\.receivedAt).min()
        let arrivalMs = first.map { Double($0 - cutNs) / 1e6 }
        // The backup net's fixed delay at the cut (the bench's vm2 side, net2, adds none).
        let backupDelayMs = (scenario.settings(at: cut.at, runSeconds: runSeconds)
            .enumerated().first { scenario.nets[$0.offset].name == backup }?.element.delay ?? 0) * 1000
        let takeoverMs = arrivalMs.map { $0 - backupDelayMs }
        policyLines.append(String(format: "  failover: %@ cut at %.1f s; the first packet sent after it arrived %@ after the cut, "
                                  + "so it left on %@ (delay %.0f ms) %@ after the cut", cut.net, cut.at,
                                  arrivalMs.map { String(format: "%.1f ms", $0) } ?? "never", backup, backupDelayMs,
                                  takeoverMs.map { String(format: "%.1f ms", $0) } ?? "never"))
        checks.append(Check(name: "takeover", passed: (takeoverMs ?? .infinity) <= Self.takeoverLimitMs,
                            detail: takeoverMs.map { String(format: "first data on %@ %.1f ms after the cut (arrived %.1f ms), target <= %.0f ms",
                                                            backup, $0, $0 + backupDelayMs, Self.takeoverLimitMs) }
                                ?? "nothing sent after the cut arrived"))
        if isShort { judgeShortDelay(cut: cut, records: records, start: start) }
        let lostOrLate = (mlink?.total.lost ?? 0) + (mlink?.total.late ?? 0)
        checks.append(Check(name: "failover-loss", passed: mlink != nil && lostOrLate == 0,
                            detail: String(format: "mlink: %d lost or later than %.0f ms, target 0", lostOrLate,
                                           scenario.deadline * 1000)))
        guard let beforeCut, let tally = beforeCut.wire[backup] else {
            checks.append(Check(name: "backup-cold", passed: false, detail: "no relay tally before the cut"))
            return
        }
        let control = tally.bytes[5] + tally.controlBytes
        let seconds = beforeCut.seconds[backup] ?? 0
        let rate = Double(control) / max(seconds, 1)
        policyLines.append(String(format: "  before the cut (%.1f s, relay tallies): %@ data %@, probe + control %@ (%.1f B/s)",
                                  seconds, backup, Self.size(tally.bytes[4]), Self.size(control), rate))
        checks.append(Check(name: "backup-cold", passed: tally.bytes[4] == 0,
                            detail: "\(backup) carried \(tally.bytes[4]) data bytes before the cut, target 0"))
        checks.append(Check(name: "backup-idle", passed: rate <= Self.backupIdleLimit,
                            detail: String(format: "%@ probe + control %.1f B/s before the cut, target <= %.0f B/s",
                                           backup, rate, Self.backupIdleLimit)))
        // Back on the primary after the repair without loss: no data on the backup from the failback to the end
        // (the lost/late figure above covers the whole run).
        guard let (at, afterFailback) = beforeCut.afterFailback, let later = afterFailback[backup], let total = wire[backup] else {
            policyLines.append("  failback: not checked (the run ends less than revert-after + 3.5 s after the repair)")
            return
        }
        let data = total.bytes[4] - later.bytes[4]
        policyLines.append(String(format: "  after the failback (%.1f s to the end): %@ data %@; during the cut and the hold: %@",
                                  runSeconds - at, backup, Self.size(data), Self.size(later.bytes[4])))
        checks.append(Check(name: "failback", passed: data == 0 && lostOrLate == 0,
                            detail: String(format: "%@ carried %d data bytes from %.1f s (repair + revert-after + 1.5 s) to the end, "
                                           + "%d lost or late; target 0 and 0", backup, data, at, lostOrLate)))
    }

    /// The short form's `delay` check judges only the time the primary carries: before the cut, and from the
    /// failback (repair + revert-after + 1.5 s) to the end. In between mlink is on the slower backup by design
    /// (the failback waits for a clean primary), which in 40 s is 12 s of the run, +4..6 ms on the average alone;
    /// the full form (100 s) keeps judging the whole run. The whole run's figure is still printed.
    private mutating func judgeShortDelay(cut: (net: String, at: Double), records: [StreamRecord], start: Int64) {
        guard let mlink, let repair = scenario.repair(after: cut, runSeconds: runSeconds),
              let index = checks.firstIndex(where: { $0.name == "delay" }) else { return }
        let failedBack = repair + Self.revertAfterSeconds + 1.5
        guard failedBack < runSeconds else { return }
        let (scenario, runSeconds) = (self.scenario, self.runSeconds)
        let audio = records.filter { $0.run == "mlink" && $0.stream == 0 }
        let primary = StreamStatistics.compute(audio, sent: mlink.audio.sent, deadline: scenario.deadline, start: start) { t in
            t >= cut.at && t < failedBack ? nil : scenario.idealDelay(at: t, runSeconds: runSeconds)
        }
        let excess = primary.excessOverIdealMs ?? 0
        checks[index] = Check(name: "delay", passed: excess <= Self.delayBudgetMs, detail: String(
            format: "short form: judged while the primary carries (0-%.1f s and %.1f-%.0f s): mlink's audio delay %+.2f ms "
                + "over the fastest live link's on average, budget %.0f ms; the whole run %+.2f ms (%.1f s on the slower "
                + "backup by design: the full form judges the whole run)", cut.at, failedBack, runSeconds, excess,
            Self.delayBudgetMs, mlink.audio.excessOverIdealMs ?? 0, failedBack - cut.at))
    }

    /// The metered link's wire bytes against its budget (the smaller of daily and monthly).
    private mutating func addBudgetFigures(_ link: ScenarioPolicy.Link) {
        guard let tally = wire[link.net] else { return }
        let total = tally.bytes[4] + tally.bytes[5] + tally.controlBytes  // not slot 0 nor 1 (WireTally.controlBytes)
        let limits = link.budget.compactMap { Self.byteSize(String($0.split(separator: ":").last ?? "")) }
        var line = "  metered \(link.net) (\(link.interface), \(link.role), budget {\(link.budget.joined(separator: ", "))}"
            + ", over-budget: \(link.overBudget ?? "backup-only")): carried \(Self.size(total)) of mlink on the wire"
            + " (data \(Self.size(tally.bytes[4])))"
        if let limit = limits.min() {
            line += String(format: ", %.0f%% of the budget", Double(total) * 100 / Double(limit))
            // The relay counts Ethernet headers too (14 B a frame) and mlink stops at its next accounting
            // step, so a little over is allowed: 10% plus one second of the 2 Mbit/s stream.
            let allowed = limit + limit / 10 + 262_144
            checks.append(Check(name: "budget", passed: total <= allowed,
                                detail: "\(link.net) carried \(total) B, budget \(limit) B, allowed \(allowed) B"))
        }
        policyLines.append(line)
    }

    /// `2MB`, `500kB`, `1MiB`, `1000`: bytes (units as mlink's profile: powers of 1000 or 1024).
    static func byteSize(_ text: String) -> Int? {
        let text = text.trimmingWhitespace()
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("kB", 1e3), ("KB", 1e3),
                                         ("MB", 1e6), ("GB", 1e9), ("B", 1)]
        for (unit, scale) in units where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { Int($0 * scale) }
        }
        return Int(text)
    }
}
