import MLinkConfig
import MLinkNetlink
import MLinkSetup
import MLinkTypes

/// An in-memory `SetupSystem`: records every call in order, keeps a set of existing links, and fails the
/// call whose trace line matches `failing`, as the kernel would with EEXIST.
final class FakeSetupSystem: SetupSystem {
    struct Refused: Error, Equatable, CustomStringConvertible {
        var call: String
        var description: String { "File exists (\(call))" }
    }

    var links: Set<String>
    var failing: String?
    private(set) var trace: [String] = []

    init(links: Set<String> = [], failing: String? = nil) {
        self.links = links
        self.failing = failing
    }

    private func record(_ call: String) throws {
        trace.append(call)
        if call == failing { throw Refused(call: call) }
    }

    func linkExists(_ name: String) throws -> Bool { links.contains(name) }

    func createTun(_ name: String) throws {
        try record("createTun \(name)")
        links.insert(name)
    }

    func deleteLink(_ name: String) throws {
        try record("deleteLink \(name)")
        links.remove(name)
    }

    func setMTU(_ mtu: Int, device: String) throws { try record("setMTU \(mtu) \(device)") }
    func setUp(_ up: Bool, device: String) throws { try record("set\(up ? "Up" : "Down") \(device)") }
    func addAddress(_ network: IPNetwork, device: String) throws { try record("addAddress \(network) \(device)") }
    func deleteAddress(_ network: IPNetwork, device: String) throws { try record("deleteAddress \(network) \(device)") }
    func addRoute(_ route: Route, device: String) throws {
        try record("addRoute \(route.destination) \(device) proto \(route.protocolNumber) table \(route.table)")
    }
    func deleteRoute(_ route: Route, device: String) throws {
        try record("deleteRoute \(route.destination) \(device) proto \(route.protocolNumber) table \(route.table)")
    }

    func sweepSourceRouting(_ settings: Profile.RoutingSettings, echo: (String) -> Void) {
        trace.append("sweep tables \(settings.tableBase) priority \(settings.rulePriority) proto \(settings.routeProtocol)")
        echo("[#] (sweep)")
    }
}

/// Profiles for the tests, parsed by the real loader from the repository's examples and variations of them.
enum Profiles {
    static let router = """
        name: vm1
        role: router
        private-key: 6Moq/6LXBia4nBsrNWgMUVb4AgBpEAryCYxnvmVLG3s=
        listen-port: 7000
        interface: {name: ml-vm1, address: 10.77.0.1/24}
        links: [enp0s3, enp0s8]
        peers:
          - name: vm0
            public-key: XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM=
            allowed-ips: [10.77.0.10/32, 192.168.50.7/24]
          - name: vm2
            public-key: GCntwA0vr+JI2RC7/o3yQXX8ZfMu7kvVbGbTzDnAUhk=
            allowed-ips: [10.77.0.20/32, 10.60.0.0/24]
        """

    static func host(endpoints: String = "[192.168.0.3:7000, 192.168.1.3:7000]", extra: String = "") -> String {
        """
        name: vm0
        role: host
        private-key: YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c=
        interface:
          name: ml-vm0
          address: 10.77.0.10/24
        \(extra)
        links: [enp0s3, enp0s8]
        router:
          public-key: pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI=
          endpoints: \(endpoints)
          virtual-ip: 10.77.0.1
          routes: [10.99.0.7/24, 0.0.0.0/0]
        mode: redundant
        """
    }

    static func load(_ text: String) throws -> Profile {
        try ProfileLoader.parse(text: text, path: "/etc/mlink/test.yaml", directory: "/etc/mlink")
    }
}

func link(_ name: String, index: Int32, mtu: Int) -> Link {
    Link(index: index, name: name, mtu: mtu, isUp: true)
}
