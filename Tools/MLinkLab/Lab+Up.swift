import Foundation
import MLinkTypes

extension Lab {
    /// Builds `topology` as lab `lab` and, when `start`, runs mlink on every host (the router first).
    ///
    /// Steps, each undone in reverse if a later one fails or SIGINT/SIGTERM arrives:
    /// 1. claim `/run/mlink-lab/LAB/` (mkdir fails if the lab exists) and save the planned state;
    /// 2. one namespace per host, loopback up, IPv4 forwarding on the router;
    /// 3. the wire namespace when a net is emulated (IPv6 off, so it sends nothing of its own), then one wire
    ///    per net (see `Wire`), each emulated one with its relay process;
    /// 4. a key pair and a profile per host (mode 0600);
    /// 5. `ip netns exec NS env MLINK_RUN_DIR=... mlink up PROFILE` per host.
    func up(topology: Topology, topologyFile: String, lab: String, start: Bool) throws(LabError) {
        guard Lab.isValidName(lab) else { throw .invalidLabName(lab) }
        let mlink: String? = start ? try locateMlink() : nil
        let directory = paths.directory(of: lab)
        try makeDirectory(paths.root, mode: 0o755, exclusive: false)
        do {
            try makeDirectory(directory, mode: 0o700, exclusive: true)
        } catch {
            throw FileManager.default.fileExists(atPath: directory) ? .labExists(lab) : error
        }
        var rollback = Rollback()
        rollback.push { [self] in try? removeDirectory(directory) }
        do throws(LabError) {
            let lock = try LabLock(path: paths.lockFile(of: lab))
            defer { withExtendedLifetime(lock) {} }
            var state = plannedState(for: topology, topologyFile: topologyFile, lab: lab)
            state.mlink = mlink
            for host in state.hosts where system.namespaceExists(host.namespace) {
                throw .namespaceExists(host.namespace)
            }
            try paths.save(state)
            for host in state.hosts {
                try Interruption.check()
                try system.run(["ip", "netns", "add", host.namespace])
                rollback.push { [system] in try? system.run(["ip", "netns", "del", host.namespace]) }
                try system.run(["ip", "-n", host.namespace, "link", "set", "lo", "up"])
                if host.role == .router {
                    try system.run(["ip", "netns", "exec", host.namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
                }
            }
            if let relayNamespace = state.wires.lazy.compactMap({ $0.relay?.namespace }).first {
                try system.run(["ip", "netns", "add", relayNamespace])
                rollback.push { [system] in try? system.run(["ip", "netns", "del", relayNamespace]) }
                try system.run(["ip", "netns", "exec", relayNamespace, "sysctl", "-qw",
                                "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
            }
            for index in state.wires.indices {
                try Interruption.check()
                do {
                    try state.wires[index].create(using: system, relayExecutable: relayExecutable)
                } catch {
                    try? paths.save(state)
                    throw error
                }
                if state.wires[index].relay != nil {
                    let wire = state.wires[index]
                    rollback.push { [system] in wire.remove(using: system) }
                    try paths.save(state)
                }
            }
            try writeKeysAndProfiles(topology: topology, directory: directory)
            guard let mlink else { return }
            for host in topology.startOrder {
                try Interruption.check()
                let entry = state.hosts.first { $0.name == host.name }!
                try makeDirectory(paths.directory(of: lab) + "/run", mode: 0o700, exclusive: false)
                try makeDirectory(entry.runDirectory, mode: 0o700, exclusive: false)
                rollback.push { [self] in stopMlink(entry, mlink: mlink) }
                try system.run(["ip", "netns", "exec", entry.namespace, "env", "MLINK_RUN_DIR=\(entry.runDirectory)",
                                mlink, "up", entry.profile], inheritOutput: true)
            }
        } catch {
            system.note("rolling back lab \(lab)")
            rollback.run()
            throw error
        }
    }

    /// Writes HOST.key, HOST.pub and HOST.yaml for every host.
    private func writeKeysAndProfiles(topology: Topology, directory: String) throws(LabError) {
        var keys: [String: KeyPair] = [:]
        for host in topology.hosts { keys[host.name] = makeKeyPair(host.name) }
        let profiles = ProfileWriter.profiles(for: topology, keys: keys)
        for host in topology.hosts {
            let base = "\(directory)/\(host.name)"
            system.note("write \(base).key \(base).pub \(base).yaml")
            try writePrivateFile(base + ".key", contents: Data((keys[host.name]!.privateKey.base64 + "\n").utf8))
            try writePrivateFile(base + ".pub", contents: Data((keys[host.name]!.publicKey.base64 + "\n").utf8))
            try writePrivateFile(base + ".yaml", contents: Data(profiles[host.name]!.utf8))
        }
    }
}
