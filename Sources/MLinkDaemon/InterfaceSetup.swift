import Glibc
import MLinkConfig
import MLinkNetlink
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// The wg-quick half of `mlink up`: TUN device, MTU, address, routes; every side effect echoed and undone on
/// failure.
public final class InterfaceSetup {
    /// What `up` would do or did, one line per side effect, in the shape of the equivalent `ip` command.
    public private(set) var actions: [String] = []
    private var undo: [(description: String, run: () throws -> Void)] = []
    private let echo: (String) -> Void
    let netlink: RouteNetlink

    public init(echo: @escaping (String) -> Void) throws {
        self.echo = echo
        netlink = try RouteNetlink()
    }

    /// The plan for `profile`: computed MTU and routes. Touches nothing (used by `check` and by `up`).
    public struct Plan {
        public var interface: String
        public var mtu: Int
        public var mtuSource: String
        public var address: IPNetwork
        public var routes: [IPNetwork]
        public var links: [String]
    }

    /// Computes what `up` will do for `profile`.
    public static func plan(for profile: Profile, netlink: RouteNetlink?) -> Plan {
        let ipv6Outer = profile.router?.endpoints.contains { endpoint in
            if case .address(let a) = endpoint.host { return a.isIPv6 }
            return false
        } ?? false
        // One dump serves both the link list and the MTU.
        let allowed = (netlink.flatMap { try? $0.links() } ?? []).filter { LinkInventory.isAllowed($0, patterns: profile.links) }
        var mtu = profile.interface.mtu ?? 0
        var source = "from the profile"
        if profile.interface.mtu == nil {
            let smallest = allowed.map(\.mtu).min() ?? 1500
            let overhead = WireFormat.outerOverhead(ipv6: ipv6Outer || profile.interface.address.address.isIPv6)
            mtu = smallest - overhead
            source = "smallest link MTU \(smallest) minus \(overhead) bytes of tunnel overhead"
        }
        let connected = profile.interface.address.masked
        var routes: [IPNetwork] = []
        if let router = profile.router {
            routes = router.routes.map(\.masked)
        } else {
            for peer in profile.peers {
                for network in peer.allowedIPs.map(\.masked) where network != connected && !routes.contains(network) {
                    routes.append(network)
                }
            }
        }
        return Plan(interface: profile.interface.name, mtu: mtu, mtuSource: source, address: profile.interface.address,
                    routes: routes, links: allowed.map(\.name))
    }

    /// Creates and configures the interface. On any error everything done so far is undone and the error thrown.
    /// Returns the TUN device (its descriptor keeps the interface alive) and the state to record.
    public func bringUp(_ profile: Profile) throws -> (TunDevice, InterfaceState) {
        let plan = InterfaceSetup.plan(for: profile, netlink: netlink)
        let name = plan.interface
        do {
            if try netlink.link(named: name) != nil {
                throw SetupError.interfaceExists(name)
            }
            record("ip tuntap add mode tun name \(name)")
            let tun = try TunDevice(name: name)
            undo.append(("ip link delete dev \(name)", { tun.descriptor.close() }))
            guard let link = try netlink.link(named: tun.name) else { throw SetupError.interfaceVanished(name) }
            record("ip link set mtu \(plan.mtu) dev \(name)")
            try netlink.setLink(index: link.index, mtu: plan.mtu)
            record("ip address add \(plan.address) dev \(name)")
            try netlink.addAddress(plan.address, linkIndex: link.index)
            record("ip link set up dev \(name)")
            try netlink.setLink(index: link.index, up: true)
            var state = InterfaceState(interface: name, profileName: profile.name, profilePath: profile.path)
            for network in plan.routes {
                let route = Route(destination: network, outputLinkIndex: link.index)
                record("ip route add \(network) dev \(name) proto \(RouteProtocol.mlink)")
                try netlink.addRoute(route)
                undo.append(("ip route del \(network) dev \(name)", { [netlink] in try netlink.deleteRoute(route) }))
                state.routes.append(.init(destination: network.description, table: 254, gateway: nil, device: name))
            }
            return (tun, state)
        } catch {
            rollBack()
            throw error
        }
    }

    /// Undoes every recorded side effect, newest first, echoing each; failures are reported and skipped.
    public func rollBack() {
        while let step = undo.popLast() {
            echo("[#] \(step.description)")
            do { try step.run() } catch { echo("mlink: rollback: \(step.description): \(error)") }
        }
    }

    /// Forgets the undo steps: the interface now belongs to the running core and to `down`.
    public func commit() {
        undo.removeAll()
    }

    private func record(_ action: String) {
        actions.append(action)
        echo("[#] \(action)")
    }
}

/// Why `up` or `down` refused.
public enum SetupError: Error, CustomStringConvertible {
    case interfaceExists(String)
    case interfaceVanished(String)
    case alreadyRunning(String)
    case coreFailed(String)
    case notRunning(String)

    public var description: String {
        switch self {
        case .interfaceExists(let n): return "interface \(n) already exists"
        case .interfaceVanished(let n): return "interface \(n) disappeared right after creation"
        case .alreadyRunning(let n): return "\(n) is already up"
        case .coreFailed(let why): return "the forwarding core did not start: \(why)"
        case .notRunning(let n): return "\(n) is not running (no state under the run directory)"
        }
    }
}
