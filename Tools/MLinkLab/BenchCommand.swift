import ArgumentParser
import Foundation

/// `mlink-lab bench SCENARIO.yaml... [--short] [--check] [--out DIR]`: the availability benchmark.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the availability benchmark: a real-time stream over each link alone, wireguard-go and mlink.",
        discussion: """
            For each scenario (examples/lab/scenarios/*.yaml) a lab is built (VM0 with two emulated links to the \
            router VM1, VM2 behind it), the stream (50 packets/s of 160-byte audio and a 2 Mbit/s video-like \
            stream, each packet with a sequence number and its send time) goes from VM0 to VM2 four ways at once, \
            and the figures are printed and written to OUT/SCENARIO.json and OUT/SCENARIO.svg. \
            --short runs each scenario for its short-seconds (CI); --check exits 1 when mlink's availability falls \
            below the best single link's, or its loss exceeds the ideal, beyond the stated statistical margin, or \
            a scenario's own checks fail. A scenario with `modes: [redundant, adaptive]` is run once per mode \
            (OUT/SCENARIO.MODE.json) and a summary prints each mode's loss, delay and extra bytes side by side.
            """)

    @Argument(help: ArgumentHelp("Scenario files.", valueName: "SCENARIO.yaml"))
    var scenarios: [String]

    @Flag(help: "Run each scenario for its short-seconds (a few seconds, for CI).")
    var short = false

    @Option(help: ArgumentHelp("Override the run length.", valueName: "SECONDS"))
    var seconds: Double?

    @Flag(help: "Exit 1 when a scenario's checks fail.")
    var check = false

    @Option(help: ArgumentHelp("Where the JSON and SVG files go.", valueName: "DIR"))
    var out = "bench-out"

    @Option(help: ArgumentHelp("The lab name (its namespaces are LAB-vm0...).", valueName: "LAB"))
    var name = "embench"

    @Option(name: .customLong("mode"), help: ArgumentHelp("Run only this of a scenario's modes (repeatable).", valueName: "MODE"))
    var onlyModes: [String] = []

    @Flag(name: .customLong("no-wireguard"), help: "Skip the wireguard-go run.")
    var noWireguard = false

    @Option(name: .customLong("stream-tool"), help: ArgumentHelp("scripts/avstream.py (default: found above the scenario).", valueName: "PATH"))
    var streamTool: String?

    func validate() throws {
        if let seconds, !(seconds >= 1 && seconds.isFinite) { throw ValidationError("--seconds needs at least 1") }
        guard name.count <= 8 else { throw ValidationError("--name: at most 8 characters (interface names carry it)") }
    }

    func run() throws {
        try reportingErrors(needsRoot: true) { () throws(LabError) in
            let lab = Lab.live()
            try lab.makeDirectory(out, mode: 0o755, exclusive: false)
            var failures: [String] = []
            for file in scenarios {
                let scenario = try Scenario.load(file: file)
                guard let tool = streamTool ?? BenchCommand.findStreamTool(near: file) else {
                    throw .file(operation: "finding", path: "scripts/avstream.py", reason: "not found; pass --stream-tool")
                }
                let wireguard = !noWireguard && findExecutable("wireguard-go") != nil && findExecutable("wg") != nil
                if !noWireguard && !wireguard { print("note: wireguard-go or wg not found; skipping that run") }
                let runSeconds = seconds ?? (short ? scenario.shortSeconds : scenario.seconds)
                var results: [BenchResult] = []
                let modes = scenario.runModes.filter { onlyModes.isEmpty || onlyModes.contains($0 ?? "redundant") }
                guard !modes.isEmpty else {
                    throw .file(operation: "choosing modes of", path: file,
                                reason: "it runs none of --mode \(onlyModes.joined(separator: ", ")) (it has \(scenario.runModes.map { $0 ?? "redundant" }.joined(separator: ", ")))")
                }
                for mode in modes {  // one run per mode (Scenario+Modes.swift); [nil]: as before
                    var bench = Bench(lab: lab, scenario: scenario, labName: name, runSeconds: runSeconds, isShort: short,
                                      streamTool: tool, withWireguard: wireguard)
                    bench.mode = mode
                    let result = try bench.run()
                    print(result.table)
                    print("")
                    let base = "\(out)/\(scenario.name)" + (mode.map { ".\($0)" } ?? "")
                    do {
                        try result.json(machine: BenchCommand.machine()).write(to: URL(fileURLWithPath: base + ".json"))
                        try BenchChart.svg(result).write(toFile: base + ".svg", atomically: true, encoding: .utf8)
                    } catch {
                        throw .file(operation: "writing", path: base + ".json/.svg", reason: "\(error)")
                    }
                    for failed in result.checks where !failed.passed {
                        failures.append("\(scenario.name)\(mode.map { " (\($0))" } ?? ""): \(failed.name): \(failed.detail)")
                    }
                    results.append(result)
                }
                if !scenario.modes.isEmpty {
                    print(BenchResult.summary(results))
                    print("")
                }
            }
            print("wrote \(out)/*.json and \(out)/*.svg")
            if check && !failures.isEmpty { throw .benchmarkFailed(failures) }
        }
    }

    /// scripts/avstream.py in a directory above the scenario file or the working directory.
    static func findStreamTool(near file: String) -> String? {
        let starts = [URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent(),
                      URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        for start in starts {
            var directory = start
            while directory.path != "/" {
                let candidate = directory.appendingPathComponent("scripts/avstream.py").path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
                directory.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// What the figures came from: kernel, CPU, core count, date.
    static func machine() -> [String: String] {
        let release = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "unknown")
            .trimmingWhitespace()
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { String($0).trimmingWhitespace() } ?? "unknown"
        let formatter = ISO8601DateFormatter()
        return ["kernel": release, "cpu": model, "cores": "\(ProcessInfo.processInfo.activeProcessorCount)",
                "date": formatter.string(from: Date())]
    }
}
