/// The status of one running interface: what the core answers to `show`, what `mlink show` prints (as text or
/// JSON) and what the metrics endpoint and the drop log are rendered from.
///
/// The JSON keys are the `CodingKeys` below and the counters' `fieldList` names; mlink(8) documents every one
/// (a test holds the page to it). Times are seconds: `started` and `latest_handshake` since the Unix epoch,
/// `*_s` ages relative to the moment the report was made.
public struct StatusReport: Codable, Equatable, Sendable {
    public var interface = ""
    public var name = ""
    /// `host` or `router`.
    public var role = ""
    /// The interface's virtual address with its prefix, e.g. `10.77.0.10/24`.
    public var address = ""
    /// The profile's mode, e.g. `redundant`.
    public var mode = ""
    public var publicKey = ""
    public var pid = 0
    public var started = 0.0
    /// The router's UDP port; 0 on a host.
    public var listenPort = 0
    /// The local link addresses in the bundle.
    public var links: [LinkReport] = []
    /// The per-link routing tables and rules in place.
    public var sourceRouting: [SourceRouteReport] = []
    /// The router's endpoints as last resolved (host only; empty on a router).
    public var routerEndpoints: [String] = []
    /// The `metrics-listen` address actually bound, when there is one.
    public var metricsListen: String?
    public var drops = DropCounts()
    public var tun = TunCounts()
    public var peers: [PeerReport] = []
    /// Address leases (LeaseReport.swift), when the profile has an address-pool or `address: auto`.
    public var leases: LeaseReport?
    /// Per-flow policies, when the profile has any (PolicyReport.swift).
    public var policies: PolicyStatus?
    /// Announcements, distributed routes and shared prefixes (StatusReport+Routes.swift); nil without any.
    public var routes: RoutesReport?
    /// Routes read back from the kernel via router peers (StatusReport+Imports.swift); nil without router peers.
    public var imports: ImportsReport?
    /// A host with several routers: which one is current and how often it changed (StatusReport+Routers.swift).
    public var routerChoice: RouterChoiceReport?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case interface, name, role, address, mode, pid, started, links, drops, tun, peers, policies, leases, routes
        case imports
        case routerChoice = "router_choice"
        case publicKey = "public_key", listenPort = "listen_port", sourceRouting = "source_routing"
        case routerEndpoints = "router_endpoints", metricsListen = "metrics_listen"
    }
}

/// One local link address in the bundle, with what its socket negotiated with the kernel at start.
public struct LinkReport: Codable, Equatable, Sendable {
    public var link: String
    /// The address and port its socket is bound to.
    public var local: String
    /// True while the socket sends runs of datagrams with UDP GSO (`UDP_SEGMENT`); false when the kernel lacks
    /// it, the driver refused it, or `MLINK_UDP_GSO=0` turned it off (then `sendmmsg`).
    public var udpGSO: Bool
    /// True when reads may return datagrams coalesced by UDP GRO (Linux 5.0+), which the core splits.
    public var udpGRO: Bool
    /// The socket buffers the kernel granted, in bytes (as the kernel reports them: twice what was asked).
    public var sendBuffer: Int
    public var receiveBuffer: Int
    /// The link's budget (metered links with a `budget` only).
    public var budget: BudgetReport?

    public init(link: String, local: String, udpGSO: Bool = false, udpGRO: Bool = false, sendBuffer: Int = 0,
                receiveBuffer: Int = 0) {
        self.link = link
        self.local = local
        self.udpGSO = udpGSO
        self.udpGRO = udpGRO
        self.sendBuffer = sendBuffer
        self.receiveBuffer = receiveBuffer
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case link, local
        case udpGSO = "udp_gso", udpGRO = "udp_gro", sendBuffer = "send_buffer", receiveBuffer = "receive_buffer"
        case budget
    }
}

/// One link's source routing: traffic from `from` looks up `table`, whose default route goes via `gateway`.
public struct SourceRouteReport: Codable, Equatable, Sendable {
    public var link: String
    public var from: String
    public var table: Int
    public var gateway: String
    /// How often the core put back part of this link's table or rules after the kernel dropped it.
    public var heals: Int

    public init(link: String, from: String, table: Int, gateway: String, heals: Int = 0) {
        self.link = link
        self.from = from
        self.table = table
        self.gateway = gateway
        self.heals = heals
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case link, from, table, gateway, heals }
}

/// Packets read from (`rx_packets`) and written to (`tx_packets`) the TUN device.
public struct TunCounts: Codable, Equatable, Sendable {
    public var rxPackets: UInt64 = 0
    public var txPackets: UInt64 = 0
    /// The offloads the TUN device negotiated: `csum`, `tso4`, `tso6`; empty without them (or with
    /// `MLINK_TUN_OFFLOAD=0`).
    public var offloads: [String] = []
    /// TCP super-packets read with TSO and cut into segments, and reads dropped as malformed offloads.
    public var superPackets: UInt64 = 0
    public var offloadDrops: UInt64 = 0
    /// TUN write calls (fewer than `txPackets` when delivered packets were coalesced), and delivered packets that
    /// left inside a coalesced super-packet.
    public var writes: UInt64 = 0
    public var coalescedSegments: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case rxPackets = "rx_packets", txPackets = "tx_packets", offloads
        case superPackets = "super_packets", offloadDrops = "offload_drops"
        case writes, coalescedSegments = "coalesced_segments"
    }
}

/// One peer and its bundle of connections. Its counters are flat in its JSON object.
public struct PeerReport: Codable, Equatable, Sendable {
    public var name = ""
    public var publicKey = ""
    public var allowedIPs: [String] = []
    /// What the peer's virtual network holds: a router's peers their allowed-ips; a host's router its virtual
    /// address and the routes the profile sends through it.
    public var virtualAddresses: [String] = []
    /// True once a session is established.
    public var session = false
    /// The last completed handshake, seconds since the Unix epoch; nil: never.
    public var latestHandshake: Double?
    /// The sums of the connections' byte counters.
    public var txBytes: UInt64 = 0
    public var rxBytes: UInt64 = 0
    public var counters = PeerCounts()
    public var connections: [ConnectionReport] = []
    /// Its part in a mesh of routers (StatusReport+Routers.swift); nil for a host's only router and a router's
    /// hosts when it has no router peers.
    public var mesh: PeerMeshReport?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, session, connections, mesh
        case publicKey = "public_key", allowedIPs = "allowed_ips", virtualAddresses = "virtual_addresses"
        case latestHandshake = "latest_handshake", txBytes = "tx_bytes", rxBytes = "rx_bytes"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(publicKey, forKey: .publicKey)
        try container.encode(allowedIPs, forKey: .allowedIPs)
        try container.encode(virtualAddresses, forKey: .virtualAddresses)
        try container.encode(session, forKey: .session)
        try container.encodeIfPresent(latestHandshake, forKey: .latestHandshake)
        try container.encode(txBytes, forKey: .txBytes)
        try container.encode(rxBytes, forKey: .rxBytes)
        try container.encode(connections, forKey: .connections)
        try container.encodeIfPresent(mesh, forKey: .mesh)
        var fields = encoder.container(keyedBy: FieldKey.self)
        try counters.encodeFields(into: &fields)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        publicKey = try container.decode(String.self, forKey: .publicKey)
        allowedIPs = try container.decode([String].self, forKey: .allowedIPs)
        virtualAddresses = try container.decode([String].self, forKey: .virtualAddresses)
        session = try container.decode(Bool.self, forKey: .session)
        latestHandshake = try container.decodeIfPresent(Double.self, forKey: .latestHandshake)
        txBytes = try container.decode(UInt64.self, forKey: .txBytes)
        rxBytes = try container.decode(UInt64.self, forKey: .rxBytes)
        connections = try container.decode([ConnectionReport].self, forKey: .connections)
        mesh = try container.decodeIfPresent(PeerMeshReport.self, forKey: .mesh)
        counters = try PeerCounts(fieldsOf: decoder.container(keyedBy: FieldKey.self))
    }
}

/// Liveness of a connection, from what this end has received on the path.
public enum ConnectionState: String, Codable, CaseIterable, Sendable {
    /// Nothing received yet.
    case probing
    /// Answers on time, little recent loss.
    case up
    /// Still answers, but an expected reply is missing or recent loss is high.
    case degraded
    /// Several expected replies are missing.
    case down
    /// Never answered while another path to the peer did (probed at most every 5 s).
    case unreachable

    /// Up or degraded: the connection delivers, if not at its best.
    public var carriesTraffic: Bool { self == .up || self == .degraded }
}

/// One path between a local link and a remote endpoint, with its measurements. Its counters are flat in its
/// JSON object.
public struct ConnectionReport: Codable, Equatable, Sendable {
    public var link = ""
    public var local = ""
    public var remote = ""
    public var state = ConnectionState.probing
    /// Our id for the path (high byte: our link number).
    public var pathID = 0
    /// Smoothed round-trip time and its variation (RFC 6298 SRTT and RTTVAR), ms; 0 before the first sample.
    public var rttMilliseconds = 0.0
    public var jitterMilliseconds = 0.0
    /// Share of packets lost, 0...1.
    public var loss = 0.0
    /// Share of the peer's delivered packets that this connection brought first, 0...1.
    public var firstShare = 0.0
    /// Seconds since the last authentic datagram on the path; nil: none yet.
    public var lastReceivedAge: Double?
    /// Seconds since the state last changed; nil: never.
    public var stateAge: Double?
    public var counters = ConnectionCounts()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case link, local, remote, state, loss
        case pathID = "path_id", rttMilliseconds = "rtt_ms", jitterMilliseconds = "jitter_ms"
        case firstShare = "first_share", lastReceivedAge = "last_received_s", stateAge = "state_since_s"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(link, forKey: .link)
        try container.encode(local, forKey: .local)
        try container.encode(remote, forKey: .remote)
        try container.encode(state, forKey: .state)
        try container.encode(pathID, forKey: .pathID)
        try container.encode(rttMilliseconds, forKey: .rttMilliseconds)
        try container.encode(jitterMilliseconds, forKey: .jitterMilliseconds)
        try container.encode(loss, forKey: .loss)
        try container.encode(firstShare, forKey: .firstShare)
        try container.encodeIfPresent(lastReceivedAge, forKey: .lastReceivedAge)
        try container.encodeIfPresent(stateAge, forKey: .stateAge)
        var fields = encoder.container(keyedBy: FieldKey.self)
        try counters.encodeFields(into: &fields)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        link = try container.decode(String.self, forKey: .link)
        local = try container.decode(String.self, forKey: .local)
        remote = try container.decode(String.self, forKey: .remote)
        state = try container.decode(ConnectionState.self, forKey: .state)
        pathID = try container.decode(Int.self, forKey: .pathID)
        rttMilliseconds = try container.decode(Double.self, forKey: .rttMilliseconds)
        jitterMilliseconds = try container.decode(Double.self, forKey: .jitterMilliseconds)
        loss = try container.decode(Double.self, forKey: .loss)
        firstShare = try container.decode(Double.self, forKey: .firstShare)
        lastReceivedAge = try container.decodeIfPresent(Double.self, forKey: .lastReceivedAge)
        stateAge = try container.decodeIfPresent(Double.self, forKey: .stateAge)
        counters = try ConnectionCounts(fieldsOf: decoder.container(keyedBy: FieldKey.self))
    }
}

/// A metered link's budget: bytes used today and this budget month (sent plus received, on the wire), the
/// limits, the month's forecast at the current rate, and whether a limit is reached (`over-budget` applies).
public struct BudgetReport: Codable, Equatable, Sendable {
    public var usedToday: UInt64
    public var dailyLimit: UInt64?
    public var usedThisMonth: UInt64
    public var monthlyLimit: UInt64?
    public var monthForecast: UInt64
    public var exhausted: Bool

    public init(usedToday: UInt64, dailyLimit: UInt64?, usedThisMonth: UInt64, monthlyLimit: UInt64?,
                monthForecast: UInt64, exhausted: Bool) {
        self.usedToday = usedToday; self.dailyLimit = dailyLimit; self.usedThisMonth = usedThisMonth
        self.monthlyLimit = monthlyLimit; self.monthForecast = monthForecast; self.exhausted = exhausted
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case usedToday = "used_today", dailyLimit = "daily_limit", usedThisMonth = "used_month"
        case monthlyLimit = "monthly_limit", monthForecast = "month_forecast", exhausted
    }
}
