import MLinkConfig
import MLinkDaemon
import MLinkNetlink
import MLinkProtocol
import MLinkTypes

/// What `up` will do for a profile, computed without touching anything: `check` prints it, `up` applies it.
///
/// Pure: the links present now come in as an argument (one dump serves both the link list and the MTU).
public struct SetupPlan: Equatable, Sendable {
    /// The TUN device's name.
    public var interface: String
    /// The device's MTU in bytes.
    public var mtu: Int
    /// Where `mtu` comes from, in words (`check` prints it next to the MTU step).
    public var mtuSource: String
    /// The device's address, host bits kept.
    public var address: IPNetwork
    /// The prefixes routed into the device (host bits clear): the router's routes on a host, the peers'
    /// allowed IPs beyond the connected prefix on a router.
    public var routes: [IPNetwork]
    /// The names of the links the profile allows that exist now.
    public var links: [String]
    /// `interface.address: auto`: no address step; the core adds the leased address at run time.
    public var addressIsLeased = false

    /// The plan for `profile` on a system whose links are `presentLinks`.
    public init(profile: Profile, presentLinks: [Link]) {
        let allowed = presentLinks.filter { LinkInventory.isAllowed($0, patterns: profile.links) }
        interface = profile.interface.name
        address = profile.interface.address
        addressIsLeased = profile.interface.addressIsAuto
        links = allowed.map(\.name)
        if let configured = profile.interface.mtu {
            mtu = configured
            mtuSource = "from the profile"
        } else {
            let ipv6Outer = profile.router?.endpoints.contains { endpoint in
                if case .address(let a) = endpoint.host { return a.isIPv6 }
                return false
            } ?? false
            let smallest = allowed.map(\.mtu).min() ?? 1500
            let overhead = WireFormat.outerOverhead(ipv6: ipv6Outer || profile.interface.address.address.isIPv6)
            mtu = smallest - overhead
            mtuSource = "smallest link MTU \(smallest) minus \(overhead) bytes of tunnel overhead"
        }
        let connected = profile.interface.address.masked
        var routes: [IPNetwork] = []
        if let router = profile.router {
            routes = router.routes.map(\.masked)
        } else {
            // A peer's prefix inside the interface's connected network is routed already (the connected route); its
            // proto-109 route is the daemon's, present while the peer's bundle is up, so that routing daemons see
            // which hosts are live (ForwardingCore+Routes.swift, `setHostRoutes`). Every other prefix is routed here
            // for as long as the interface exists, whether or not the peer is connected (OpenVPN's iroute).
            for peer in profile.peers {
                for network in peer.allowedIPs.map(\.masked)
                where !connected.covers(network) && !routes.contains(network) {
                    routes.append(network)
                }
            }
        }
        self.routes = routes
    }

    /// The changes in the order `up` makes them: device, MTU, address, up, then one route per prefix.
    public var steps: [SetupStep] {
        [.createTun(name: interface), .setMTU(mtu, device: interface)]
            + (addressIsLeased ? [] : [.addAddress(address, device: interface)]) + [.setUp(device: interface)]
            + routes.map { .addRoute($0, device: interface, protocolNumber: RouteProtocol.mlink) }
    }

    /// The `[#] ip ...` lines of `steps`, the MTU step annotated with where its value comes from (`check`).
    public var annotatedCommands: [String] {
        steps.map { step in
            if case .setMTU = step { return "[#] \(step.ipCommand)    # \(mtuSource)" }
            return "[#] \(step.ipCommand)"
        }
    }
}

extension SetupPlan {
    /// The plan for `profile` against the links present now; with no netlink access (a container, no
    /// permission) as if no link were present.
    public static func current(for profile: Profile) -> SetupPlan {
        let links = (try? RouteNetlink()).flatMap { try? $0.links() } ?? []
        return SetupPlan(profile: profile, presentLinks: links)
    }
}
