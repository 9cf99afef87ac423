import MLinkEmulator
import MLinkTypes
import MLinkYAML

extension Topology {
    /// Reads and checks a topology; every error names FILE:LINE:COL and the dotted key path.
    ///
    /// `file` is only used in messages. Keys are strict: an unknown key is an error, so that a typo does not
    /// silently build a different lab.
    static func parse(_ text: String, file: String) throws(LabError) -> Topology {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Reads and checks the topology file at `path`.
    static func load(file path: String) throws(LabError) -> Topology {
        let root = try LabFileReader.readDocument(path: path, documentName: "topology", contents: documentContents)
        return try TopologyReader(file: path).read(root)
    }

    static func parse(bytes: [UInt8], file: String) throws(LabError) -> Topology {
        let reader = TopologyReader(file: file)
        let root = try reader.base.document(bytes: bytes, documentName: "topology", contents: documentContents)
        return try reader.read(root)
    }

    /// What an empty topology file should have held, for the error that says so.
    private static let documentContents = "a mapping of virtual-network, hosts and nets"
}

/// Turns the YAML tree into a checked `Topology`.
private struct TopologyReader {
    let base: LabFileReader

    init(file: String) { base = LabFileReader(file: file) }

    /// Longest host name such that `ml-NAME` fits the kernel's 15-character interface names.
    static let maxHostName = 12
    static let defaultListenPort: UInt16 = 7000

    func error(at node: YAMLNode, _ key: String, _ problem: String) -> LabError {
        base.error(at: node, key, problem)
    }

    func read(_ root: YAMLNode) throws(LabError) -> Topology {
        let top = try base.mapping(root, "", keys: ["virtual-network", "hosts", "nets"], what: "topology")
        let networkNode = try required(top, "virtual-network", in: root, path: "virtual-network")
        let networkText = try scalar(networkNode, "virtual-network")
        guard let virtualNetwork = IPNetwork(networkText), networkText.contains("/") else {
            throw error(at: networkNode, "virtual-network", "'\(networkText)' is not an address/prefix")
        }
        let hostsNode = try required(top, "hosts", in: root, path: "hosts")
        let hosts = try readHosts(hostsNode, virtualNetwork: virtualNetwork)
        let netsNode = try required(top, "nets", in: root, path: "nets")
        let nets = try readNets(netsNode, hosts: hosts, virtualNetwork: virtualNetwork)
        let topology = Topology(virtualNetwork: virtualNetwork, hosts: hosts.map(\.1), nets: nets)
        let routers = topology.routers
        for (name, host) in hosts {
            let reached = Set(topology.routers(of: host.name).map(\.name))
            if host.role == .router {
                if let missing = routers.first(where: { $0.name != host.name && !reached.contains($0.name) }) {
                    throw error(at: name, "hosts.\(host.name)",
                                "shares no net with the router \(missing.name) (routers form a full mesh)")
                }
            } else if reached.isEmpty {
                throw error(at: name, "hosts.\(host.name)", routers.count == 1
                            ? "shares no net with the router \(routers[0].name)"
                            : "shares no net with any router (\(routers.map(\.name).joined(separator: ", ")))")
            }
        }
        return topology
    }

    private func readHosts(_ node: YAMLNode, virtualNetwork: IPNetwork) throws(LabError) -> [(YAMLNode, Topology.Host)] {
        var hosts: [(YAMLNode, Topology.Host)] = []
        for entry in try mapping(node, "hosts", keys: nil) {
            let (keyNode, value) = (entry.key, entry.value)
            let name = try scalar(keyNode, "hosts")
            let path = "hosts.\(name)"
            guard Self.isValidName(name, maxLength: Self.maxHostName, extra: "-") else {
                throw error(at: keyNode, path, "a host name is 1-\(Self.maxHostName) lower-case letters, digits or '-', starting with a letter")
            }
            let fields = try mapping(value, path, keys: ["role", "virtual-ip", "listen-port"])
            var role = Topology.Role.host
            if let roleNode = fields.value(for: "role") {
                let text = try scalar(roleNode, path + ".role")
                guard let parsed = Topology.Role(rawValue: text) else {
                    throw error(at: roleNode, path + ".role", "'\(text)' is not host or router")
                }
                role = parsed
            }
            let ipNode = try required(fields, "virtual-ip", in: value, path: path + ".virtual-ip")
            let ipText = try scalar(ipNode, path + ".virtual-ip")
            guard let ip = IPAddress(ipText) else {
                throw error(at: ipNode, path + ".virtual-ip", "'\(ipText)' is not an IP address")
            }
            guard virtualNetwork.contains(ip) else {
                throw error(at: ipNode, path + ".virtual-ip", "\(ip) is outside virtual-network \(virtualNetwork.masked)")
            }
            if let other = hosts.first(where: { $0.1.virtualIP == ip }) {
                throw error(at: ipNode, path + ".virtual-ip", "\(ip) is already \(other.1.name)'s")
            }
            var port: UInt16?
            if let portNode = fields.value(for: "listen-port") {
                let text = try scalar(portNode, path + ".listen-port")
                guard role == .router else {
                    throw error(at: portNode, path + ".listen-port", "only the router listens")
                }
                guard let value = UInt16(text), value > 0 else {
                    throw error(at: portNode, path + ".listen-port", "'\(text)' is not a port in 1...65535")
                }
                port = value
            } else if role == .router {
                port = Self.defaultListenPort
            }
            hosts.append((keyNode, Topology.Host(name: name, role: role, virtualIP: ip, listenPort: port)))
        }
        let routers = hosts.filter { $0.1.role == .router }.count
        guard routers >= 1 else {
            throw error(at: node, "hosts", "at least one host must have role router, found \(routers)")
        }
        return hosts
    }

    private func readNets(_ node: YAMLNode, hosts: [(YAMLNode, Topology.Host)],
                          virtualNetwork: IPNetwork) throws(LabError) -> [Topology.Net] {
        var nets: [Topology.Net] = []
        for entry in try mapping(node, "nets", keys: nil) {
            let (keyNode, value) = (entry.key, entry.value)
            let name = try scalar(keyNode, "nets")
            let path = "nets.\(name)"
            guard Self.isValidName(name, maxLength: 16, extra: "_") else {
                throw error(at: keyNode, path, "a net name is 1-16 letters, digits or '_', starting with a letter")
            }
            let fields = try mapping(value, path, keys: ["ends", "emulate"])
            let endsNode = try required(fields, "ends", in: value, path: path + ".ends")
            let items = try base.sequence(endsNode, path + ".ends", expected: "a list of two 'HOST INTERFACE ADDRESS/PREFIX'")
            guard items.count == 2 else {
                throw error(at: endsNode, path + ".ends", "a net joins exactly two hosts, found \(items.count)")
            }
            var ends: [Topology.End] = []
            for (index, item) in items.enumerated() {
                let endPath = "\(path).ends[\(index)]"
                let end = try readEnd(item, path: endPath, hosts: hosts)
                if let first = ends.first, first.host == end.host {
                    throw error(at: item, endPath, "both ends are on \(end.host)")
                }
                for net in nets {
                    if let used = net.end(on: end.host), used.interface == end.interface {
                        throw error(at: item, endPath, "\(end.host) already has \(end.interface) (on \(net.name))")
                    }
                    if net.ends.contains(where: { $0.address.address == end.address.address }) {
                        throw error(at: item, endPath, "\(end.address.address) is already used on \(net.name)")
                    }
                }
                if virtualNetwork.overlaps(end.address) {
                    throw error(at: item, endPath, "\(end.address) overlaps virtual-network \(virtualNetwork.masked)")
                }
                ends.append(end)
            }
            let (a, b) = (ends[0].address, ends[1].address)
            guard a.prefixLength == b.prefixLength, a.masked == b.masked, a.address != b.address else {
                throw error(at: endsNode, path + ".ends", "\(a) and \(b) are not two addresses of one subnet")
            }
            var emulation: WireEmulation?
            if let node = fields.value(for: "emulate") {
                emulation = try readEmulation(node, path: path + ".emulate")
            }
            nets.append(Topology.Net(name: name, ends: ends, emulation: emulation))
        }
        return nets
    }

    /// `emulate: {delay: 20ms, loss: 1%}`: settings for both directions (see `Emulation`); `{}` runs the
    /// relay with nothing to do yet, so that `mlink-lab set` can change it later.
    private func readEmulation(_ node: YAMLNode, path: String) throws(LabError) -> WireEmulation {
        var emulation = WireEmulation()
        for entry in try mapping(node, path, keys: Emulation.keys) {
            let (keyNode, valueNode) = (entry.key, entry.value)
            let key = try scalar(keyNode, path)
            let value = try scalar(valueNode, "\(path).\(key)")
            do {
                try emulation.apply(["\(key)=\(value)"], to: .both)
            } catch {
                throw self.error(at: valueNode, "\(path).\(key)", error.problem)
            }
        }
        return emulation
    }

    private func readEnd(_ node: YAMLNode, path: String,
                         hosts: [(YAMLNode, Topology.Host)]) throws(LabError) -> Topology.End {
        let text = try scalar(node, path)
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.count == 3 else {
            throw error(at: node, path, "expected 'HOST INTERFACE ADDRESS/PREFIX', found '\(text)'")
        }
        let (host, interface, addressText) = (words[0], words[1], words[2])
        guard hosts.contains(where: { $0.1.name == host }) else {
            throw error(at: node, path, "unknown host '\(host)'")
        }
        guard Self.isValidInterfaceName(interface) else {
            throw error(at: node, path, "'\(interface)' is not an interface name (1-15 characters, no '/', ':' or spaces)")
        }
        guard interface != "lo", interface != "ml-" + host else {
            throw error(at: node, path, "'\(interface)' is reserved")
        }
        guard addressText.contains("/"), let address = IPNetwork(addressText) else {
            throw error(at: node, path, "'\(addressText)' is not an address/prefix")
        }
        return Topology.End(host: host, interface: interface, address: address)
    }

    // MARK: - Node helpers

    private func mapping(_ node: YAMLNode, _ path: String, keys: [String]?) throws(LabError) -> [YAMLNode.Entry] {
        try base.mapping(node, path, keys: keys)
    }

    private func required(_ entries: [YAMLNode.Entry], _ key: String, in parent: YAMLNode,
                          path: String) throws(LabError) -> YAMLNode {
        try base.required(entries, key, in: parent, path: path)
    }

    private func scalar(_ node: YAMLNode, _ path: String) throws(LabError) -> String {
        try base.scalar(node, path)
    }

    static func isValidName(_ name: String, maxLength: Int, extra: Character) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter, name.count <= maxLength else { return false }
        let lowerOnly = extra == "-"
        return name.allSatisfy { c in
            c.isASCII && (c.isNumber || c == extra || (c.isLetter && (!lowerOnly || c.isLowercase)))
        }
    }

    static func isValidInterfaceName(_ name: String) -> Bool {
        (1...15).contains(name.utf8.count) && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != "/" && $0 != ":" && $0 != "\"" }
    }
}
