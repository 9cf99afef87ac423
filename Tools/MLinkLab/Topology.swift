import MLinkConfig
import MLinkEmulator
import MLinkTypes

/// A lab described in YAML: hosts that run mlink and the nets (wires) between them.
///
/// ```yaml
/// virtual-network: 10.77.0.0/24
/// hosts:
///   vm1: {role: router, virtual-ip: 10.77.0.1, listen-port: 7000}
///   vm0: {virtual-ip: 10.77.0.10}
/// nets:
///   net0: {ends: [vm0 enp0s3 192.168.0.2/24, vm1 enp0s3 192.168.0.3/24]}
/// ```
/// Order matters and is kept: profiles list links in net order and the router's peers in host order.
/// Invariants established by `Topology.parse`: at least one router, every host shares a net with a router, every
/// two routers share a net (they form a full mesh, examples/lab/bgp3.yaml), every net joins two different hosts in
/// one subnet, names and addresses are unique.
struct Topology: Equatable {
    /// The mlink virtual network; every host's virtual address lies inside it.
    var virtualNetwork: IPNetwork
    /// The hosts, in file order.
    var hosts: [Host]
    /// The nets, in file order.
    var nets: [Net]

    /// What a host does in the virtual network: the profile's own role type, so that the lab and the loader
    /// cannot disagree about the roles there are.
    typealias Role = Profile.Role

    /// One network namespace running one mlink instance.
    struct Host: Equatable {
        /// The host's name: the profile's `name`, the namespace suffix and the TUN name's suffix.
        var name: String
        var role: Role
        /// The host's address inside `virtualNetwork`.
        var virtualIP: IPAddress
        /// The UDP port the router listens on; nil for hosts.
        var listenPort: UInt16?
        /// Profile lines that replace the written `links:` line (a bench scenario's link policy); empty: plain.
        var profileLines: [String] = []

        /// The mlink TUN device's name in the host's namespace.
        var tunName: String { "ml-" + name }
    }

    /// One end of a net: a host's interface and its address on that net.
    struct End: Equatable {
        var host: String
        var interface: String
        /// The interface address with its prefix length, as `ip addr add` takes it.
        var address: IPNetwork
    }

    /// A point-to-point network between exactly two hosts.
    struct Net: Equatable {
        var name: String
        /// Exactly two ends, on two different hosts.
        var ends: [End]
        /// The link emulator's settings (`emulate:` in the file); nil keeps the plain veth pair.
        var emulation: WireEmulation?

        /// The end on `host`, if the net touches it.
        func end(on host: String) -> End? { ends.first { $0.host == host } }

        /// The end that is not on `host`.
        func end(oppositeTo host: String) -> End? { ends.first { $0.host != host } }
    }

    /// The first router (parsing guarantees one).
    var router: Host { hosts.first { $0.role == .router }! }

    /// Every router, in host order.
    var routers: [Host] { hosts.filter { $0.role == .router } }

    /// The routers `host` shares a net with, in host order: the first is the host's preferred router (its
    /// profile's `router` block), the others go under `routers`. For a router: the other routers.
    func routers(of host: String) -> [Host] {
        routers.filter { router in
            router.name != host && nets.contains { $0.end(on: host) != nil && $0.end(on: router.name) != nil }
        }
    }

    /// The host named `name`.
    func host(named name: String) -> Host? { hosts.first { $0.name == name } }

    /// The nets that touch `host`, in file order.
    func nets(touching host: String) -> [Net] { nets.filter { $0.end(on: host) != nil } }

    /// Hosts in start order: the router first, so that hosts find it listening.
    var startOrder: [Host] { hosts.filter { $0.role == .router } + hosts.filter { $0.role != .router } }
}

/// The lab saves roles in its state file (`LabState`) by their profile names.
extension Profile.Role: Codable {}
