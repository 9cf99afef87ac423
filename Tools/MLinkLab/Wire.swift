import Foundation
import MLinkEmulator
import MLinkSystem

/// The cable of one net: a veth pair between two namespaces, or, when the net is emulated, two veth pairs
/// meeting in the lab's wire namespace where a relay process (`mlink-lab _relay`, see `Relay`) delays,
/// jitters, drops and rate-limits what crosses.
///
/// The wire is the only type that knows how a net is built, impaired and torn down. A net without
/// `emulation` keeps the plain kernel path (nothing in userspace, full veth speed). An emulated net is
/// `A:if <-> wire-ns:wN-a [relay] wire-ns:wN-b <-> B:if`: the hosts still see one interface each, with the
/// topology's name and address, so profiles and mlink do not know the difference. The hosts' ends get
/// `gso_max_segs 1`, so every frame the relay handles is one wire-sized packet (loss and rate act per packet,
/// as on a real link); the vnet header keeps checksum offload working across the relay.
///
/// Impairments drop packets in an nftables `netdev` ingress chain on *each* end, so each direction is impaired
/// independently and the interfaces keep carrier (a cut is a silent blackhole, not a link-down event).
/// Each end's namespace holds one table per net, `mlink_lab_NET`, rewritten atomically on every change.
struct Wire: Codable, Equatable {
    /// One end of the wire: an interface in a host's namespace.
    struct End: Codable, Equatable {
        var host: String
        var namespace: String
        var interface: String
        /// `ADDRESS/PREFIX` as `ip addr add` takes it.
        var address: String
    }

    /// What is done to packets on the wire, in both directions.
    struct Impairment: Codable, Equatable {
        /// Every packet vanishes.
        var isCut = false
        /// Share of packets dropped at random, 0...100 in steps of 0.01.
        var lossPercent = 0.0

        var isNone: Bool { !isCut && lossPercent <= 0 }

        /// The nftables statement for one end's ingress chain; nil when nothing is dropped.
        var rule: String? {
            if isCut { return "drop" }
            let perTenThousand = Int((lossPercent * 100).rounded())
            guard perTenThousand > 0 else { return nil }
            return perTenThousand >= 10_000 ? "drop" : "numgen random mod 10000 < \(perTenThousand) drop"
        }

        /// `ok`, `CUT`, `loss 5%`, or `CUT (loss 5% underneath)`.
        var summary: String {
            let loss = "loss \(Wire.Impairment.format(lossPercent))%"
            if isCut { return lossPercent > 0 ? "CUT (then \(loss))" : "CUT" }
            return lossPercent > 0 ? loss : "ok"
        }

        static func format(_ percent: Double) -> String {
            percent == percent.rounded() ? String(Int(percent)) : String(percent)
        }
    }

    /// The relay process of an emulated wire and the files it uses.
    struct RelayProcess: Codable, Equatable {
        /// The lab's wire namespace, where the relay and the two inner veth ends live.
        var namespace: String
        /// The inner ends: `[0]` is paired with `ends[0]`, `[1]` with `ends[1]`.
        var interfaces: [String]
        /// The `WireEmulation` the relay reads at start and on SIGHUP (JSON).
        var configFile: String
        /// Counters the relay writes once a second (JSON).
        var statsFile: String
        /// The relay's stderr.
        var logFile: String
        /// Written by the relay once its sockets are open; holds its pid.
        var readyFile: String
        /// The relay's pid once started.
        var pid: Int32?
    }

    /// The net's name.
    var net: String
    /// Exactly two ends.
    var ends: [End]
    var impairment = Impairment()
    /// What the relay does: nil for a plain veth pair (the kernel path).
    var emulation: WireEmulation?
    /// The relay, for an emulated wire.
    var relay: RelayProcess?

    /// The nftables table holding this wire's chains, one per end namespace.
    var tableName: String { "mlink_lab_" + net }

    /// Creates the veth pair directly in the two namespaces (or, emulated, one pair per end into the wire
    /// namespace and the relay between them), addresses the ends and brings them up.
    ///
    /// Nothing to undo on failure but the relay (`remove`): deleting the namespaces destroys the pairs.
    /// `relayExecutable` is the mlink-lab binary that runs `_relay`.
    mutating func create(using system: LabSystem, relayExecutable: String) throws(LabError) {
        let (a, b) = (ends[0], ends[1])
        if let relay {
            for (end, inner) in zip(ends, relay.interfaces) {
                try system.run(["ip", "link", "add", end.interface, "netns", end.namespace, "type", "veth",
                                "peer", "name", inner, "netns", relay.namespace])
                try system.run(["ip", "-n", end.namespace, "link", "set", end.interface, "gso_max_segs", "1"])
                try system.run(["ip", "-n", relay.namespace, "link", "set", inner, "up"])
            }
        } else {
            try system.run(["ip", "link", "add", a.interface, "netns", a.namespace, "type", "veth",
                            "peer", "name", b.interface, "netns", b.namespace])
        }
        for end in ends {
            var add = ["ip", "-n", end.namespace, "addr", "add", end.address, "dev", end.interface]
            if end.address.contains(":") { add.append("nodad") }
            try system.run(add)
            try system.run(["ip", "-n", end.namespace, "link", "set", end.interface, "up"])
        }
        if !impairment.isNone { try applyImpairment(using: system) }
        if var relay {
            try writeRelayConfiguration(using: system)
            relay.pid = try system.spawnDetached(
                ["ip", "netns", "exec", relay.namespace, relayExecutable, "_relay",
                 "--a", relay.interfaces[0], "--b", relay.interfaces[1], "--config", relay.configFile,
                 "--stats", relay.statsFile, "--ready", relay.readyFile],
                log: relay.logFile, readyFile: relay.readyFile)
            self.relay = relay
        }
    }

    /// Tears the wire down before its namespaces are deleted: stops the relay. A veth pair and its nftables
    /// tables go with the namespaces.
    func remove(using system: LabSystem) {
        guard let pid = relay?.pid else { return }
        // After a crash the pid may belong to someone else by now: only signal a process that is our relay.
        if let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
           !String(decoding: command, as: UTF8.self).contains("_relay") {
            system.note("\(net): pid \(pid) is no longer the relay; not signalling it")
            return
        }
        if !system.terminate(pid: pid) { system.note("\(net): relay pid \(pid) was not running") }
    }

    /// Writes `emulation` where the relay reads it (mode 0600).
    func writeRelayConfiguration(using system: LabSystem) throws(LabError) {
        guard let relay, let emulation else { return }
        system.note("write \(relay.configFile): forward \(emulation.forward.words.joined(separator: " ")), "
                    + "backward \(emulation.backward.words.joined(separator: " ")), \(emulation.script.count) script steps")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(emulation) } catch {
            throw .file(operation: "encoding", path: relay.configFile, reason: "\(error)")
        }
        try writePrivateFile(relay.configFile, contents: data)
    }

    /// Hands a new `emulation` to the running relay: rewrite its file, then SIGHUP.
    func reloadRelay(using system: LabSystem) throws(LabError) {
        guard let relay else { throw .notEmulated(net) }
        try writeRelayConfiguration(using: system)
        guard let pid = relay.pid, system.signal(pid: pid, ProcessSignal.hangUp) else { throw .relayNotRunning(net, pid: relay.pid) }
    }

    /// Makes both ends drop what `impairment` says, replacing whatever was there (one nft transaction per end).
    func applyImpairment(using system: LabSystem) throws(LabError) {
        for end in ends { try system.run(impairmentCommand(for: end)) }
    }

    /// The `nft` command that sets one end's table: an add-then-delete so that it works whether or not the
    /// table exists, then the chain and its rule when something is dropped.
    func impairmentCommand(for end: End) -> [String] {
        var script = "add table netdev \(tableName); delete table netdev \(tableName)"
        if let rule = impairment.rule {
            script += "; add table netdev \(tableName)"
                + "; add chain netdev \(tableName) ingress { type filter hook ingress device \"\(end.interface)\""
                + " priority -500; policy accept; }"
                + "; add rule netdev \(tableName) ingress \(rule)"
        }
        return ["ip", "netns", "exec", end.namespace, "nft", script]
    }
}
