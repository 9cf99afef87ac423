import MLinkProtocol
import MLinkTypes

/// Writes the mlink profile (DESIGN.md section 5) of each host of a topology.
///
/// The profile loader is strict, so only contract keys are written. A host's `links` are its interfaces on the
/// nets it shares with its routers and `endpoints` a router's addresses on those same nets, in net order.
/// A router's `links` are all its interfaces and its `peers` the hosts it shares a net with, in host order, then
/// the other routers.
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
    ///
    /// With several routers (examples/lab/bgp3.yaml): a router's peers are the hosts it shares a net with, then the
    /// other routers as `role: router` peers (endpoints: their addresses on the nets shared with it; allowed-ips:
    /// their virtual address; allowed-routes: the virtual network up to host routes, what BGP carries between
    /// them). A host's `router` is the first router it shares a net with, the others go under `routers` with
    /// preference 10, 20, ...
    static func profile(of host: Topology.Host, in topology: Topology, keys: [String: KeyPair]) -> String {
        let interfaceAddress = IPNetwork(address: host.virtualIP, prefixLength: topology.virtualNetwork.prefixLength)!
        let width = host.virtualIP.isIPv6 ? 128 : 32
        var lines = [
            "name: \(host.name)",
            "role: \(host.role.rawValue)",
            "private-key: \(keys[host.name]!.privateKey.base64)",
        ]
        if host.role == .router {
            let peers = topology.hosts.filter {
                $0.role != .router && topology.routers(of: $0.name).contains { $0.name == host.name }
            }
            lines += [
                "listen-port: \(host.listenPort!)",
                "interface: {name: \(host.tunName), address: \(interfaceAddress)}",
                "links: " + flowList(topology.nets(touching: host.name).map { $0.end(on: host.name)!.interface }),
                "peers:",
            ]
            for peer in peers {
                lines.append("  - {name: \(peer.name), public-key: \(keys[peer.name]!.publicKey.base64), "
                             + "allowed-ips: [\(peer.virtualIP)/\(width)]}")
            }
            for other in topology.routers(of: host.name) {
                lines.append("  - {name: \(other.name), role: router, public-key: \(keys[other.name]!.publicKey.base64), "
                             + "endpoints: " + flowList(endpoints(of: other, from: host.name, in: topology)) + ", "
                             + "allowed-ips: [\(other.virtualIP)/\(width)], "
                             + "allowed-routes: [{prefix: \(topology.virtualNetwork.masked), max-length: \(width)}]}")
            }
        } else {
            let routers = topology.routers(of: host.name)
            let router = routers[0]
            let shared = topology.nets(touching: host.name).filter { net in routers.contains { net.end(on: $0.name) != nil } }
            lines.append("interface: {name: \(host.tunName), address: \(interfaceAddress)}")
            // A bench scenario's link policy (roles, mode) replaces the plain list of the same interfaces.
            lines += host.profileLines.isEmpty ? ["links: " + flowList(shared.map { $0.end(on: host.name)!.interface })]
                : host.profileLines
            lines.append("router:")
            if routers.count > 1 { lines.append("  name: \(router.name)") }
            lines += [
                "  public-key: \(keys[router.name]!.publicKey.base64)",
                "  endpoints: " + flowList(endpoints(of: router, from: host.name, in: topology)),
                "  virtual-ip: \(router.virtualIP)",
            ]
            if routers.count > 1 {
                lines.append("routers:")
                for (index, other) in routers.dropFirst().enumerated() {
                    lines.append("  - {name: \(other.name), public-key: \(keys[other.name]!.publicKey.base64), "
                                 + "endpoints: " + flowList(endpoints(of: other, from: host.name, in: topology))
                                 + ", virtual-ip: \(other.virtualIP), preference: \((index + 1) * 10)}")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `router`'s addresses on the nets it shares with `host`, with its port, in net order.
    private static func endpoints(of router: Topology.Host, from host: String, in topology: Topology) -> [String] {
        topology.nets(touching: host).compactMap { $0.end(on: router.name) }.map {
            quotedIfBracketed(Endpoint(host: .address($0.address.address), port: router.listenPort!).description)
        }
    }

    private static func flowList(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

    /// `[fd00::1]:7000` would open a nested flow sequence in YAML; quote it.
    private static func quotedIfBracketed(_ text: String) -> String { text.hasPrefix("[") ? "\"\(text)\"" : text }
}
