/// The cable of one net: today a veth pair between two namespaces, impaired with nftables.
///
/// The wire is the only type that knows how a net is built, impaired and torn down, so that replacing the
/// veth pair by a userspace relay (AF_PACKET, for delay and jitter) stays a change to this file.
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

    /// The net's name.
    var net: String
    /// Exactly two ends.
    var ends: [End]
    var impairment = Impairment()

    /// The nftables table holding this wire's chains, one per end namespace.
    var tableName: String { "mlink_lab_" + net }

    /// Creates the veth pair directly in the two namespaces, addresses it and brings it up.
    ///
    /// Nothing to undo on failure: deleting either namespace destroys the pair.
    func create(using system: LabSystem) throws(LabError) {
        let (a, b) = (ends[0], ends[1])
        try system.run(["ip", "link", "add", a.interface, "netns", a.namespace, "type", "veth",
                        "peer", "name", b.interface, "netns", b.namespace])
        for end in ends {
            var add = ["ip", "-n", end.namespace, "addr", "add", end.address, "dev", end.interface]
            if end.address.contains(":") { add.append("nodad") }
            try system.run(add)
            try system.run(["ip", "-n", end.namespace, "link", "set", end.interface, "up"])
        }
        if !impairment.isNone { try applyImpairment(using: system) }
    }

    /// Tears the wire down before its namespaces are deleted. A veth pair and its nftables tables go with the
    /// namespaces, so there is nothing to do; a relay wire will stop its process here.
    func remove(using system: LabSystem) {}

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
