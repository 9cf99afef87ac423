import MLinkTypes

/// Writes the mlink profile (DESIGN.md section 5) of each host of a topology.
///
/// The profile loader is strict, so only contract keys are written. A host's `links` are its interfaces on the
/// nets it shares with the router and `endpoints` the router's addresses on those same nets, in net order.
/// The router's `links` are all its interfaces and its `peers` every other host, in host order.
enum ProfileWriter {
    /// The profile text of every host, keyed by host name. `keys` must hold a pair for every host.
    static func profiles(for topology: Topology, keys: [String: KeyPair]) -> [String: String] {
        var out: [String: String] = [:]
        for host in topology.hosts {
            out[host.name] = profile(of: host, in: topology, keys: keys)
        }
        return out
    }

    /// The profile text of one host.
    static func profile(of host: Topology.Host, in topology: Topology, keys: [String: KeyPair]) -> String {
        let router = topology.router
        let interfaceAddress = IPNetwork(address: host.virtualIP, prefixLength: topology.virtualNetwork.prefixLength)!
        var lines = [
            "name: \(host.name)",
            "role: \(host.role.rawValue)",
            "private-key: \(keys[host.name]!.privateKey.base64)",
        ]
        if host.role == .router {
            let peers = topology.hosts.filter { $0.role != .router }
            let prefix = host.virtualIP.isIPv6 ? 128 : 32
            lines += [
                "listen-port: \(host.listenPort!)",
                "interface: {name: \(host.tunName), address: \(interfaceAddress)}",
                "links: " + flowList(topology.nets(touching: host.name).map { $0.end(on: host.name)!.interface }),
                "peers:",
            ]
            for peer in peers {
                lines.append("  - {name: \(peer.name), public-key: \(keys[peer.name]!.publicKey.base64), "
                             + "allowed-ips: [\(peer.virtualIP)/\(prefix)]}")
            }
        } else {
            let shared = topology.nets(touching: host.name).filter { $0.end(on: router.name) != nil }
            let endpoints = shared.map { net in
                Endpoint(host: .address(net.end(on: router.name)!.address.address), port: router.listenPort!)
            }
            lines += [
                "interface: {name: \(host.tunName), address: \(interfaceAddress)}",
                "links: " + flowList(shared.map { $0.end(on: host.name)!.interface }),
                "router:",
                "  public-key: \(keys[router.name]!.publicKey.base64)",
                "  endpoints: " + flowList(endpoints.map { quotedIfBracketed($0.description) }),
                "  virtual-ip: \(router.virtualIP)",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func flowList(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

    /// `[fd00::1]:7000` would open a nested flow sequence in YAML; quote it.
    private static func quotedIfBracketed(_ text: String) -> String { text.hasPrefix("[") ? "\"\(text)\"" : text }
}
