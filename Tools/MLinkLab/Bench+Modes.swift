import Foundation
import MLinkSystem

/// A scenario's mlink modes and its optional third link in the bench (issue 15): each mode is a run of its
/// own (the lab is built again with `mode: MODE` in VM0's profile), beside the same single-link runs.
extension Bench {
    /// The third link's line, added to `topologyText` when a scenario sets net3 (VM1's enp0s9 is net2's).
    static let thirdNetLine = "  net3: {ends: [vm0 enp0s9 192.168.3.2/24, vm1 enp0s10 192.168.3.3/24], emulate: {}}"

    /// The bench topology for `scenario`: `topologyText`, plus net3 when the scenario sets it.
    static func topologyText(for scenario: Scenario) -> String {
        scenario.hasThirdLink ? topologyText + "\n" + thirdNetLine : topologyText
    }

    /// The runs of the stream for `scenario`: the single links it has, wireguard-go, and mlink in `mode`.
    static func paths(for scenario: Scenario, mode: String?) -> [Path] {
        var paths = Bench.paths
        if scenario.hasThirdLink {
            paths.insert(Path(id: "net3", title: "net3 alone", destination: "10.93.0.2", port: 5006), at: 2)
        }
        let links = scenario.hasThirdLink ? "three links" : "both links"
        if let index = paths.firstIndex(where: { $0.id == "mlink" }) {
            paths[index].title = mode.map { "mlink \($0) (\(links))" } ?? "mlink (\(links))"
        }
        return paths
    }

    /// Writes `mode: MODE` into VM0's profile (no-op without a mode): the scenario's link policy lines if it has
    /// one (their own `mode` replaced), else VM0's plain list of interfaces.
    func applyMode(to topology: inout Topology) {
        guard let mode, let index = topology.hosts.firstIndex(where: { $0.name == "vm0" }) else { return }
        var lines = topology.hosts[index].profileLines
        if lines.isEmpty {
            let interfaces = topology.nets(touching: "vm0").compactMap { $0.end(on: "vm0")?.interface }
            lines = ["links: [" + interfaces.joined(separator: ", ") + "]"]
        }
        topology.hosts[index].profileLines = lines.filter { !$0.hasPrefix("mode:") } + ["mode: \(mode)"]
    }

    /// Runs the sender (`arguments` to `ip`) and, while it runs, reads VM0's adaptive plan once a second: the
    /// seconds spent at each protection level (single, retransmit, parity, duplicate), for the table, and at
    /// duplicate and parity the seconds per reason ("why duplicate: ...").
    func sendSamplingLevels(_ arguments: [String]) throws -> ((status: Int32, output: String), [String: Int]) {
        let log = lab.paths.directory(of: labName) + "/sender.txt"
        let pid = try ProcessControl.spawnDetached(path: findExecutable("ip") ?? "/usr/sbin/ip", arguments: arguments,
                                                   inherit: [], logPath: log)
        var levels: [String: Int] = [:]
        var status: Int32?
        var second = 0
        let printPlans = ProcessInfo.processInfo.environment["MLINK_LAB_PLANS"] == "1"  // each second's plan, for reading the run
        while status == nil {
            ProcessControl.sleep(milliseconds: 1000)
            status = ProcessControl.exitStatusIfExited(pid)
            guard status == nil, let plans = (showJSON(host: "vm0")?["policies"] as? [String: Any])?["adaptive"] as? [[String: Any]]
            else { continue }
            second += 1
            for plan in plans {
                guard let level = plan["level"] as? String else { continue }
                levels[level, default: 0] += 1
                if printPlans {
                    FileHandle.standardError.write(Data("plan \(second) s: \(level): \(plan["reason"] as? String ?? "")\n".utf8))
                }
                // Why it protects more than a repair does: the reason with its figures blanked, for the table.
                if level == "duplicate" || level == "parity", let reason = plan["reason"] as? String {
                    let kind = String(reason.split(separator: ";").first ?? "").map { $0.isNumber || $0 == "." ? "#" : $0 }
                    levels["why \(level): " + String(kind).replacingOccurrences(of: "#", with: "").replacingOccurrences(of: "  ", with: " "), default: 0] += 1
                }
            }
        }
        let output = FileManager.default.contents(atPath: log).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return ((status ?? 127, output), levels)
    }

    /// `mlink show --json` of `host` (nil when it does not answer): its per-connection traffic by purpose and
    /// its adaptive plans.
    func showJSON(host: String) -> [String: Any]? {
        guard let mlink = try? lab.locateMlink() else { return nil }
        let runDirectory = lab.paths.runDirectory(of: labName, host: host)
        guard let result = try? ProcessControl.run(
            path: findExecutable("ip") ?? "/usr/sbin/ip",
            arguments: ["netns", "exec", namespace(host), "env", "MLINK_RUN_DIR=\(runDirectory)", mlink, "show", "ml-\(host)", "--json"],
            captureOutput: true), result.status == 0
        else { return nil }
        let json = try? JSONSerialization.jsonObject(with: Data(result.output.utf8))
        return (json as? [String: Any]) ?? ((json as? [Any])?.first as? [String: Any])
    }
}
