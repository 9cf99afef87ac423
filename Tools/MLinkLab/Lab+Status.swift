import Foundation
import MLinkEmulator

extension Lab {
    /// A human-readable report of one lab: hosts with their namespace and mlink state, nets with their impairment.
    func status(_ lab: String) throws(LabError) -> String {
        let state = try paths.load(lab)
        var lines = ["lab \(lab) (topology \(state.topologyFile), files in \(paths.directory(of: lab)))", "hosts:"]
        let nameWidth = state.hosts.map(\.name.count).max() ?? 0
        for host in state.hosts {
            let namespace = system.namespaceExists(host.namespace) ? host.namespace : "\(host.namespace) (MISSING)"
            lines.append("  \(host.name.padded(nameWidth))  \(host.role.rawValue.padded(6))  \(namespace)  "
                         + "\(host.interface) \(host.virtualAddress)  mlink: \(mlinkState(host))")
        }
        lines.append("nets:")
        let netWidth = state.wires.map(\.net.count).max() ?? 0
        for wire in state.wires {
            let ends = wire.ends.map { "\($0.host) \($0.interface) \($0.address)" }.joined(separator: " <-> ")
            lines.append("  \(wire.net.padded(netWidth))  \(ends)  \(wire.impairment.summary)")
            if let emulation = wire.emulation, let relay = wire.relay {
                let pid = relay.pid.map { FileManager.default.fileExists(atPath: "/proc/\($0)") ? "pid \($0)" : "pid \($0) GONE" }
                let (a, b) = (wire.ends[0].host, wire.ends[1].host)
                lines.append("  \("".padded(netWidth))  relay (\(pid ?? "not started")): \(a)->\(b) "
                             + "\(emulation.forward.words.joined(separator: " ")); \(b)->\(a) "
                             + "\(emulation.backward.words.joined(separator: " "))"
                             + (emulation.script.isEmpty ? "" : "; script of \(emulation.script.count) steps"))
                if let data = FileManager.default.contents(atPath: relay.statsFile),
                   let counters = try? JSONDecoder().decode([String: DirectionEngine.Counters].self, from: data) {
                    for (name, (from, to)) in [("forward", (a, b)), ("backward", (b, a))] {
                        guard let c = counters[name] else { continue }
                        lines.append("  \("".padded(netWidth))    \(from)->\(to): \(c.received) in, \(c.forwarded) out, dropped: "
                                     + "outage \(c.outage), burst \(c.burst), random \(c.random), queue \(c.queue), "
                                     + "overflow \(c.overflow), send failed \(c.sendFailed)")
                    }
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `not started`, `running (pid N)`, `stopped`, or `started` when the run dir records no pid.
    private func mlinkState(_ host: LabState.Host) -> String {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: host.runDirectory)) ?? []
        if entries.isEmpty { return "not started" }
        guard let (_, pid) = Lab.mlinkPids(in: host.runDirectory).first else { return "started" }
        return FileManager.default.fileExists(atPath: "/proc/\(pid)") ? "running (pid \(pid))" : "stopped"
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
