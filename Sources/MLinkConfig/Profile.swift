import MLinkTypes

/// A validated profile: everything `mlink up` needs, immutable once loaded.
///
/// The YAML keys are a public contract (see man/mlink.yaml.5 and DESIGN.md section 5); this model is the one
/// data model shared by the loader, `check`, `up` and the forwarding core.
public struct Profile: Sendable, Equatable {
    /// Where the profile was read from (absolute or as given); used in messages.
    public var path: String
    /// Unique host name inside the virtual network (`name`).
    public var name: String
    /// `role`: host (default) or router.
    public var role: Role
    /// The X25519 private key (`private-key`, or the contents of `private-key-file`).
    public var privateKey: Key32
    /// The TUN interface (`interface`).
    public var interface: InterfaceSettings
    /// Local interfaces this host may use (`links`; glob patterns such as `wwan*`). Empty means every
    /// interface with an address, except loopback and mlink's own TUN devices.
    public var links: [String]
    /// Forwarding mode (`mode`).
    public var mode: Mode
    /// Seconds between keepalives on an idle connection (`keepalive`, default 25; 0 disables).
    public var keepaliveSeconds: Int
    /// Host only: the router this host connects to (`router`).
    public var router: RouterReference?
    /// Router only: UDP port the router listens on, on each of its links (`listen-port`).
    public var listenPort: UInt16?
    /// Router only: the hosts that may connect (`peers`).
    public var peers: [PeerSettings]
    /// Optional Prometheus endpoint (`metrics-listen`, e.g. 127.0.0.1:9477).
    public var metricsListen: Endpoint?
    /// True when the file (or the key file) is readable by group or others while holding a private key.
    public var privateKeyExposed: Bool
    /// Per-link source routing (`routing`): mlink's table range and rule priority.
    /// `policies`, `deadline`, `target-loss`, `max-overhead` (Profile+Policies.swift).
    public var policies = PolicySettings()
    public var routing = RoutingSettings()
    /// Shortest probe interval per connection (`probe-interval`, milliseconds, default 100); each connection's
    /// own interval is 2 x (RTT + 4 RTTVAR) but never shorter.
    public var probeIntervalMilliseconds = 100
    /// Bytes per second probes may use per connection and direction (`probe-bandwidth`, default 4000; 0: no cap).
    public var probeBandwidth = 4000
    /// Router only: the `address-pool` leases come from (Profile+Leases.swift), or nil.
    public var addressPool: AddressPoolSettings?
    /// The links' roles and costs, `copies` and `standby-probe` (Profile+Links.swift).
    public var linkPolicy = LinkPolicySettings()
    /// Announcements, accepted and pushed routes (Profile+Announce.swift).
    public var routes = RouteSettings()
    /// Host only: the routers beyond `router` (`routers`, Profile+Routers.swift); `router` is the preferred one.
    public var routers: [RouterReference] = []

    public init(path: String, name: String, role: Role, privateKey: Key32, interface: InterfaceSettings,
                links: [String], mode: Mode, keepaliveSeconds: Int, router: RouterReference?,
                listenPort: UInt16?, peers: [PeerSettings], metricsListen: Endpoint?, privateKeyExposed: Bool) {
        self.path = path; self.name = name; self.role = role; self.privateKey = privateKey
        self.interface = interface; self.links = links; self.mode = mode
        self.keepaliveSeconds = keepaliveSeconds; self.router = router; self.listenPort = listenPort
        self.peers = peers; self.metricsListen = metricsListen; self.privateKeyExposed = privateKeyExposed
    }

    /// `role`.
    public enum Role: String, Sendable, Equatable { case host, router }

    /// `mode`: how packets are spread over a bundle's connections.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Every packet on every working link (the default and the mission).
        case redundant
        /// All data on the best link of the highest role; the others wait as hot standbys.
        case failover
        /// Per flow: one link by expected arrival, with the cheapest protection that meets `target-loss` (none,
        /// parity on another link, or duplication), escalated at once on trouble.
        case adaptive
        /// Per flow: each flow pinned to one live link, the flows spread over the links (bulk).
        case aggregate
    }

    /// The `interface` block.
    public struct InterfaceSettings: Sendable, Equatable {
        /// TUN name (`interface.name`; default: the profile file's base name), at most 15 characters.
        public var name: String
        /// This host's virtual address with the virtual network's prefix (`interface.address`).
        public var address: IPNetwork
        /// `interface.mtu`, or nil to compute it from the links.
        public var mtu: Int?
        /// `interface.address: auto` (host): the address comes from the router's pool at run time, and
        /// `address` holds the router's virtual IP /32 until then (Profile+Leases.swift).
        public var addressIsAuto = false

        public init(name: String, address: IPNetwork, mtu: Int?) {
            self.name = name; self.address = address; self.mtu = mtu
        }
    }

    /// A host's `router` block.
    public struct RouterReference: Sendable, Equatable {
        /// `router.public-key`.
        public var publicKey: Key32
        /// `router.preshared-key`: an extra symmetric secret mixed into the handshake (Noise psk2), or nil.
        public var presharedKey: Key32?
        /// `router.endpoints`: the router's public address(es) and port.
        public var endpoints: [Endpoint]
        /// `router.virtual-ip`: the router's address inside the virtual network.
        public var virtualIP: IPAddress
        /// `router.routes`: extra prefixes reached through the router (beyond the virtual network).
        public var routes: [IPNetwork]
        /// `name`: the router's peer name in `show` (default `router` for the `router` block).
        public var name = "router"
        /// `preference`: lower is preferred among live routers (default 0 for `router`, 100 under `routers`).
        public var preference = 0

        public init(publicKey: Key32, presharedKey: Key32? = nil, endpoints: [Endpoint], virtualIP: IPAddress,
                    routes: [IPNetwork]) {
            self.publicKey = publicKey; self.presharedKey = presharedKey; self.endpoints = endpoints
            self.virtualIP = virtualIP; self.routes = routes
        }
    }

    /// One entry of a router's `peers` list.
    public struct PeerSettings: Sendable, Equatable {
        /// `peers[].name`.
        public var name: String
        /// `peers[].public-key`.
        public var publicKey: Key32
        /// `peers[].preshared-key`: the same secret as that host's `router.preshared-key`, or nil.
        public var presharedKey: Key32?
        /// `peers[].allowed-ips`: inner source addresses this peer may use and destinations routed to it.
        public var allowedIPs: [IPNetwork]
        /// `peers[].allowed-routes`: what this peer may announce (Profile+Announce.swift).
        public var allowedRoutes: [AllowedRouteEntry] = []
        /// `peers[].role`: host (default) or router (Profile+Routers.swift).
        public var role = PeerRole.host
        /// `peers[].endpoints`: a router peer's public address(es):port, for dialling it.
        public var endpoints: [Endpoint] = []
        /// A router peer: where its `name` was written, for problems found once the own public key is known.
        public var line = 0
        public var column = 0

        public init(name: String, publicKey: Key32, presharedKey: Key32? = nil, allowedIPs: [IPNetwork]) {
            self.name = name; self.publicKey = publicKey; self.presharedKey = presharedKey; self.allowedIPs = allowedIPs
        }
    }
}
