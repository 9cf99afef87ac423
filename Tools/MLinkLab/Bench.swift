import MLinkProtocol
import Foundation
import MLinkEmulator
import MLinkSystem

/// The availability benchmark of one scenario: a seed-like lab (VM0 with two emulated links to the router
/// VM1, VM2 behind the router on a clean link), one real-time stream sent four ways at once, and the figures.
///
/// Steps (the lab is always taken down at the end, also on error or SIGINT):
/// 1. `up` the bench topology with the scenario's base settings on net0 and net1 (mlink starts on every host);
/// 2. plain routes for the single-link runs (VM2 owns 10.90.0.2 reached over net0 and 10.91.0.2 over net1)
///    and a wireguard-go tunnel VM0-VM2 whose outer packets take net0;
/// 3. warm up every path (ARP through the relays, the WireGuard handshake, mlink's connections);
/// 4. pick a common zero T0 a moment ahead; hand every relay its time script with epoch T0; start the
///    receiver in VM2 and the sender in VM0 (scripts/avstream.py), both keyed to T0;
/// 5. when the sender is done and the receiver has drained, compute per run and stream (`StreamStatistics`).
/// The four runs share the wires and the time, so they see the same outage at the same moment; each run is
/// its own flow (own destination and port), and the emulator draws loss per packet, independently.
struct Bench {
    /// One way of getting the stream from VM0 to VM2.
    struct Path {
        /// Short id in the receiver's log.
        var id: String
        var title: String
        var destination: String
        var port: Int
    }

    var lab: Lab
    var scenario: Scenario
    var labName: String
    var runSeconds: Double
    var isShort: Bool
    /// scripts/avstream.py.
    var streamTool: String
    var withWireguard: Bool
    /// The mlink mode of this run (a scenario's `modes`, Bench+Modes.swift); nil: the profile's default.
    var mode: String? = nil

    static let paths = [
        Path(id: "net0", title: "net0 alone", destination: "10.90.0.2", port: 5001),
        Path(id: "net1", title: "net1 alone", destination: "10.91.0.2", port: 5002),
        Path(id: "wg", title: "wireguard-go (net0)", destination: "10.99.0.2", port: 5003),
        Path(id: "mlink", title: "mlink (both links)", destination: "10.77.0.20", port: 5004),
    ]

    /// The seed topology reduced to what the benchmark needs: VM0's two links are emulated, VM2 has one
    /// clean link to the router (a scenario with a third link adds `Bench.thirdNetLine`).
    static let topologyText = """
        virtual-network: 10.77.0.0/24
        hosts:
          vm1: {role: router, virtual-ip: 10.77.0.1, listen-port: 7000}
          vm0: {virtual-ip: 10.77.0.10}
          vm2: {virtual-ip: 10.77.0.20}
        nets:
          net0: {ends: [vm0 enp0s3 192.168.0.2/24, vm1 enp0s3 192.168.0.3/24], emulate: {}}
          net1: {ends: [vm0 enp0s8 192.168.1.2/24, vm1 enp0s8 192.168.1.3/24], emulate: {}}
          net2: {ends: [vm2 enp0s3 192.168.2.2/24, vm1 enp0s9 192.168.2.3/24]}
        """

    func namespace(_ host: String) -> String { Lab.namespace(lab: labName, host: host) }

    /// `ip`, which runs everything in the namespaces.
    private var ip: String { findExecutable("ip") ?? "/usr/sbin/ip" }

    /// Runs the scenario and returns its result; the lab is gone afterwards.
    func run() throws(LabError) -> BenchResult {
        var topology = try Topology.parse(Bench.topologyText(for: scenario), file: "bench topology")
        for index in topology.nets.indices {
            guard let link = scenario.nets.first(where: { $0.name == topology.nets[index].name }) else { continue }
            topology.nets[index].emulation = WireEmulation(forward: link.emulation, backward: link.emulation)
        }
        applyPolicy(to: &topology)
        applyMode(to: &topology)
        Interruption.catchSignals()
        try lab.up(topology: topology, topologyFile: "bench:\(scenario.name)", lab: labName, start: true)
        defer {
            keepDaemonLogs()  // Bench+Logs.swift: MLINK_BENCH_LOGS
            for host in ["vm0", "vm2"] {
                try? lab.system.run(["ip", "-n", namespace(host), "link", "del", wireguardInterface(host)])
            }
            _ = try? lab.down(labName)
        }
        try addPlainRoutes()
        let paths = Bench.paths(for: scenario, mode: mode).filter { withWireguard || $0.id != "wg" }
        if withWireguard { try startWireguard() }
        for path in paths { try warmUp(path) }
        try Interruption.check()

        let start = Relay.now() + 1_500_000_000
        for net in scenario.nets.map(\.name) {
            var emulation = try scenario.emulation(of: net, runSeconds: runSeconds)
            emulation.epoch = start
            emulation.seed = UInt64(net == "net0" ? 1 : net == "net1" ? 2 : 3)
            _ = try lab.updateWire(lab: labName, net: net) { (wire) throws(LabError) in
                wire.emulation = emulation
                try wire.reloadRelay(using: lab.system)
            }
        }
        let directory = lab.paths.directory(of: labName)
        let tallyBefore = readTallies(directory)
        let showBefore = mode == nil ? nil : showJSON(host: "vm0")
        let routerBefore = mode == nil ? nil : showJSON(host: "vm1")
        let receiverLog = directory + "/receiver.txt"
        let receiver: Int32
        do {
            receiver = try ProcessControl.spawnDetached(
                path: ip,
                arguments: ["netns", "exec", namespace("vm2"), "python3", streamTool, "recv", "--start-ns", "\(start)",
                            "--seconds", "\(runSeconds)", "--out", receiverLog] + paths.map { "\($0.id)=\($0.port)" },
                inherit: [], logPath: directory + "/receiver.log")
        } catch {
            throw .command("avstream.py recv", status: 127, output: "\(error)")
        }
        defer { _ = lab.system.terminate(pid: receiver) }
        let sender: (status: Int32, output: String)
        var beforeCut: BenchResult.CutSample?
        var levels: [String: Int] = [:]
        do {
            let arguments = ["netns", "exec", namespace("vm0"), "python3", streamTool, "send", "--start-ns", "\(start)",
                             "--seconds", "\(runSeconds)"] + paths.map { "\($0.id)=\($0.destination):\($0.port)" }
            if let cut = scenario.cut(runSeconds: runSeconds) {
                (sender, beforeCut) = try sendSamplingTallies(arguments, start: start, cut: cut.at, since: tallyBefore)
            } else if mode == "adaptive" {
                (sender, levels) = try sendSamplingLevels(arguments)
            } else {
                let child = try ProcessControl.run(path: ip, arguments: arguments, captureOutput: true)
                sender = (child.status, child.output)
            }
        } catch {
            throw .command("avstream.py send", status: 127, output: "\(error)")
        }
        guard sender.status == 0,
              let sent = try? JSONDecoder().decode([String: [String: Int]].self,
                                                   from: Data(sender.output.split(separator: "\n").last.map(String.init)?.utf8 ?? "".utf8))
        else { throw .command("avstream.py send", status: sender.status, output: sender.output) }
        let status = (try? ProcessControl.waitForExit(receiver)) ?? 127
        guard let data = FileManager.default.contents(atPath: receiverLog) else {
            let log = FileManager.default.contents(atPath: directory + "/receiver.log").map { String(decoding: $0, as: UTF8.self) }
            throw .command("avstream.py recv", status: status, output: log ?? "no output")
        }
        let records = StreamRecord.parse(String(decoding: data, as: UTF8.self))
        var result = BenchResult(scenario: scenario, runSeconds: runSeconds, isShort: isShort, start: start,
                                 paths: paths, sent: sent, records: records)
        ProcessControl.sleep(milliseconds: 1100)  // the relays write their tallies once a second
        result.wire = BenchResult.difference(readTallies(directory), since: tallyBefore)
        result.addPolicyFigures(records: records, start: start, beforeCut: beforeCut)
        result.addModeFigures(mode: mode, records: records, start: start, showBefore: showBefore,
                              showAfter: mode == nil ? nil : showJSON(host: "vm0"), levelSeconds: levels,
                              receiverBefore: routerBefore, receiverAfter: mode == nil ? nil : showJSON(host: "vm1"))
        return result
    }

    private func wireguardInterface(_ host: String) -> String { "\(labName.prefix(8))wg\(host.suffix(1))" }

    private func addPlainRoutes() throws(LabError) {
        let (vm0, vm1, vm2) = (namespace("vm0"), namespace("vm1"), namespace("vm2"))
        var commands: [[String]] = [
            ["ip", "-n", vm2, "addr", "add", "10.90.0.2/32", "dev", "lo"],
            ["ip", "-n", vm2, "addr", "add", "10.91.0.2/32", "dev", "lo"],
            ["ip", "-n", vm2, "route", "add", "default", "via", "192.168.2.3"],
            ["ip", "-n", vm1, "route", "add", "10.90.0.2/32", "via", "192.168.2.2"],
            ["ip", "-n", vm1, "route", "add", "10.91.0.2/32", "via", "192.168.2.2"],
            ["ip", "-n", vm0, "route", "add", "10.90.0.2/32", "via", "192.168.0.3", "dev", "enp0s3"],
            ["ip", "-n", vm0, "route", "add", "10.91.0.2/32", "via", "192.168.1.3", "dev", "enp0s8"],
        ]
        if scenario.hasThirdLink {
            commands += [
                ["ip", "-n", vm2, "addr", "add", "10.93.0.2/32", "dev", "lo"],
                ["ip", "-n", vm1, "route", "add", "10.93.0.2/32", "via", "192.168.2.2"],
                ["ip", "-n", vm0, "route", "add", "10.93.0.2/32", "via", "192.168.3.3", "dev", "enp0s9"],
            ]
        }
        for command in commands { try lab.system.run(command) }
    }

    /// wireguard-go in VM0 and VM2, outer packets VM0 -> 10.90.0.2 (over net0). Interface names carry the lab
    /// name: wireguard-go's control sockets in /var/run/wireguard are shared by every namespace.
    private func startWireguard() throws(LabError) {
        let directory = lab.paths.directory(of: labName)
        let keys = ["vm0": Lab.newKeyPair(), "vm2": Lab.newKeyPair()]
        for (host, pair) in keys {
            try writePrivateFile("\(directory)/wg-\(host).key", contents: Data((pair.privateKey.base64 + "\n").utf8))
        }
        for host in ["vm0", "vm2"] {
            let interface = wireguardInterface(host)
            let peer = host == "vm0" ? "vm2" : "vm0"
            try lab.system.run(["ip", "netns", "exec", namespace(host), "env",
                                "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1", "wireguard-go", interface])
            var set = ["ip", "netns", "exec", namespace(host), "wg", "set", interface,
                       "private-key", "\(directory)/wg-\(host).key"]
            if host == "vm2" { set += ["listen-port", "51820"] }
            set += ["peer", keys[peer]!.publicKey.base64, "allowed-ips", host == "vm0" ? "10.99.0.2/32" : "10.99.0.1/32"]
            if host == "vm0" { set += ["endpoint", "10.90.0.2:51820"] }
            try lab.system.run(set)
            try lab.system.run(["ip", "-n", namespace(host), "addr", "add", host == "vm0" ? "10.99.0.1/24" : "10.99.0.2/24",
                                "dev", interface])
            try lab.system.run(["ip", "-n", namespace(host), "link", "set", interface, "mtu", "1420", "up"])
        }
    }

    /// Pings a path until it answers (up to 20 s), so that the run measures the path, not its start-up.
    private func warmUp(_ path: Path) throws(LabError) {
        for attempt in 0..<40 {
            try Interruption.check()
            let result = try? ProcessControl.run(path: ip, arguments: ["netns", "exec", namespace("vm0"), "ping", "-c", "1",
                                                                       "-W", "1", path.destination], captureOutput: true)
            if result?.status == 0 {
                if path.id == "mlink" { ProcessControl.sleep(milliseconds: 1000) }  // let the probes bring up every link, not just one
                return
            }
            if attempt > 0 { ProcessControl.sleep(milliseconds: 500) }
        }
        throw .command("warming up \(path.title)", status: 1, output: "\(path.destination) does not answer from vm0")
    }
}
