import MLinkConfig
import MLinkNetlink
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// The forwarding core: one event loop that moves packets between the TUN device and the links.
///
/// One thread on purpose: with two cores, one loop doing batched reads keeps per-packet work free of locks and
/// leaves the other core to the kernel's network stack. Every descriptor is non-blocking, so a stalled link
/// (full queue, dead carrier) costs a dropped copy on that link only, never a delay on the others.
public final class ForwardingCore {
    /// Epoll tokens: fixed ones, then one per link slot from `slotTokenBase`.
    enum Token: UInt64 {
        case tun = 1, control = 2, signals = 3, netlink = 4, metrics = 5, resolver = 6, answers = 7, gateways = 8
    }
    static let slotTokenBase: UInt64 = 1000
    /// How often the engine's timers run. The engine expects "every few ms": a probe goes out at the first tick
    /// after it is due, and a connection is degraded when a reply is later than the probe interval plus
    /// SRTT + 4 RTTVAR, under a millisecond on a LAN; with 50 ms ticks a third of an idle LAN path's samples
    /// read degraded. 5 ms costs 200 wake-ups a second when idle.
    static let tickInterval: UInt64 = 5_000_000
    static let maximumSlots = 255
    /// Delivered packets are written to the TUN device at the latest when this many datagrams (anything but TCP)
    /// wait in the coalescer, not only at the end of a received batch (32 buffers of up to 64 KiB with UDP GRO:
    /// over a thousand datagrams). The TUN write hands them to the local socket at once, and a burst larger than
    /// its receive buffer (208 KiB by default, about 90 datagrams of 1300 bytes) is dropped there. TCP segments do
    /// not count: their window bounds them, and the whole batch coalesces as before. With 64 (one full
    /// super-packet), iperf3's UDP through mlink rose from 700-800 to 980-1020 Mbit/s on the 2-core lab
    /// (BENCHMARKS.md, session 7).
    static let deliveryBurst = 64

    let profile: Profile
    let tun: TunDevice
    let engine: TunnelEngine
    let epoll: Epoll
    let signals: SignalDescriptor
    let control: ControlServer
    let controlPath: String
    var monitor: NetlinkMonitor?
    let netlink: RouteNetlink
    /// Link slots: index = slot number in the engine; nil = free.
    var slots: [LinkSlot?] = []
    let log: Logger
    var running = true
    /// When `keepBudgets` next counts (monotonic ns).
    var nextBudgetCheck: UInt64 = 0
    let startedAt: Double
    /// Metered links' budgets (BudgetKeeper.swift).
    let budgets: BudgetKeeper
    /// What each metered link may still carry (BudgetMeters): the data path takes off what it sends and receives
    /// on a watched slot, and the flush after a headroom reached zero counts and applies the budgets (not the next
    /// second's count).
    var budgetMeters = BudgetMeters()
    var statistics = CoreStatistics()
    /// Rate-limited log lines about drops and handshakes (the data path itself never logs).
    var dropReport = DropReport()
    var silenceLog = AlarmLogLimiter()

    // Per-link source routing and router endpoint names (ForwardingCore+Routing.swift).
    let sourceRouting: SourceRouting
    let resolver: EndpointResolver
    let gatewayFinder: GatewayFinder
    var nextHealCheck: UInt64 = 0
    var routerAddresses: [SocketAddress] = []
    /// The peers we dial and their endpoints, and the addresses last resolved for each (ForwardingCore+Routers.swift).
    var dialledEndpoints: [(index: Int, endpoints: [Endpoint])] = []
    var dialledAddresses: [[SocketAddress]] = []
    var nextRoutingCheck: UInt64 = 0
    var lastResolve: UInt64 = 0
    /// The Prometheus endpoint (`metrics-listen`), if any (ForwardingCore+Metrics.swift).
    var metrics: MetricsServer?
    /// Address leases, when the profile has an address-pool or `address: auto` (ForwardingCore+Leases.swift).
    var leases: LeaseService?
    /// Announcements, distributed routes and their kernel routes (ForwardingCore+Routes.swift).
    let routeAgent: RouteAgent
    /// Routes read back from the kernel via router peers (ForwardingCore+Imports.swift); nil without router peers.
    var importAgent: ImportAgent?

    // Preallocated data-path memory (DataPath.swift).
    /// Inner packets read from the TUN device, with headroom and tailroom for sealing in place (and a spare
    /// buffer that takes a TSO super-packet while it is cut into the slots).
    let packets: PacketBatch
    /// Sealed datagrams waiting to be sent: the engine fills it, `flush` sends it.
    let out: OutboundBatch
    /// One sendmmsg's worth of one slot's datagrams, and for each the index into `out`.
    let sender: DatagramSender
    let senderEntries: UnsafeMutablePointer<Int>
    /// Per datagram of `out`: already handed to a sendmmsg in this flush.
    let flushed: UnsafeMutablePointer<Bool>
    /// Datagrams read from a link with one recvmmsg.
    let batch: DatagramBatch
    /// The packets a received batch delivers, coalesced into fewer TUN writes (TunCoalescer.swift).
    let coalescer: TunCoalescer
    static let bufferSize = 65536 + WireFormat.transportOverhead
    static let packetBatchSize = 64
    static let outboundCapacity = 128

    /// One usable local address with its pinned socket.
    struct LinkSlot {
        var link: UsableLink
        var socket: UDPSocket
    }

    /// Counters of the core itself (not of a peer).
    struct CoreStatistics {
        var tunReadPackets: UInt64 = 0
        var tunWritePackets: UInt64 = 0
        var tunWriteDrops: UInt64 = 0
        var oversized: UInt64 = 0
        /// TCP super-packets read with TSO (cut into segments), and TUN reads dropped as malformed offloads.
        var tunSuperPackets: UInt64 = 0
        var offloadDrops: UInt64 = 0
        /// TUN write calls, and delivered packets that left inside a coalesced super-packet (TunCoalescer.swift).
        var tunWrites: UInt64 = 0
        var tunCoalescedSegments: UInt64 = 0
    }

    /// Builds the core for `profile` around an already configured TUN device.
    public init(profile: Profile, tun: TunDevice, controlPath: String, log: Logger) throws {
        self.profile = profile
        self.tun = tun
        let offloads = tun.negotiateOffloads()
        log.info("\(tun.name): " + (tun.hasVirtioHeader ? "virtio header, offloads 0x\(String(offloads, radix: 16))"
                                                        : "no TUN offloads (MLINK_TUN_OFFLOAD=0)"))
        self.controlPath = controlPath
        self.log = log
        startedAt = WallClock.now()
        budgets = BudgetKeeper(links: profile.linkPolicy.links, directory: BudgetKeeper.stateDirectory(interface: tun.name))
        engine = TunnelEngine(configuration: try ForwardingCore.engineConfiguration(for: profile),
                              wallClock: { UInt64(WallClock.now() * 1e9) })
        engine.setPolicies(ForwardingCore.policySettings(of: profile))
        routeAgent = RouteAgent(profile: profile, peerKeys: engine.peers.map(\.publicKey), unixMilliseconds: UInt64(WallClock.now() * 1000))
        epoll = try Epoll()
        signals = try SignalDescriptor()
        netlink = try RouteNetlink()
        sourceRouting = SourceRouting(settings: profile.routing, netlink: netlink, log: log)
        dialledEndpoints = ForwardingCore.dialledEndpoints(for: profile, peers: engine.peers)
        resolver = try EndpointResolver(groups: dialledEndpoints.map(\.endpoints))
        gatewayFinder = try GatewayFinder(settings: profile.routing)
        control = try ControlServer(path: controlPath, tokenBase: ForwardingCore.controlClientTokenBase)
        packets = PacketBatch(capacity: ForwardingCore.packetBatchSize, packetCapacity: 65535)
        out = OutboundBatch(capacity: ForwardingCore.outboundCapacity, bufferSize: ForwardingCore.bufferSize, sharedBodies: true)
        sender = DatagramSender(capacity: ForwardingCore.outboundCapacity)
        senderEntries = .allocate(capacity: ForwardingCore.outboundCapacity)
        senderEntries.initialize(repeating: 0, count: ForwardingCore.outboundCapacity)
        flushed = .allocate(capacity: ForwardingCore.outboundCapacity)
        flushed.initialize(repeating: false, count: ForwardingCore.outboundCapacity)
        batch = DatagramBatch(capacity: 32, bufferSize: ForwardingCore.bufferSize)
        coalescer = TunCoalescer(coalescesUDP: tun.hasUDPOffload)
        try epoll.add(tun.descriptor.rawValue, token: Token.tun.rawValue)
        try epoll.add(control.listener.descriptor.rawValue, token: Token.control.rawValue)
        try epoll.add(control.worker.ready.descriptor.rawValue, token: Token.answers.rawValue)
        try epoll.add(resolver.wakeup.descriptor.rawValue, token: Token.resolver.rawValue)
        try epoll.add(gatewayFinder.wakeup.descriptor.rawValue, token: Token.gateways.rawValue)
        try epoll.add(signals.descriptor.rawValue, token: Token.signals.rawValue)
        do {
            let monitor = try NetlinkMonitor(includeRoutes: true)
            try epoll.add(monitor.fileDescriptor, token: Token.netlink.rawValue)
            self.monitor = monitor
        } catch {
            log.warning("link change notifications unavailable, links are fixed at start: \(error)")
        }
        resolveDialledPeersAtStart()
        try refreshLinks()
        startMetrics()
        try startLeases()
        startImportsIfNeeded()
    }

    deinit {
        senderEntries.deallocate()
        flushed.deallocate()
        Files.remove(controlPath)
    }

    static func engineConfiguration(for profile: Profile) throws -> EngineConfiguration {
        let peers = try enginePeers(for: profile)  // ForwardingCore+Routers.swift
        var configuration = EngineConfiguration(isRouter: profile.role == .router, privateKey: profile.privateKey,
                                                virtualAddress: profile.interface.address.address, peers: peers)
        configuration.probeInterval = UInt64(profile.probeIntervalMilliseconds) * 1_000_000
        configuration.probeBandwidthLimit = UInt64(profile.probeBandwidth)
        if profile.keepaliveSeconds > 0 {
            let keepalive = UInt64(profile.keepaliveSeconds) * 1_000_000_000
            configuration.maximumProbeInterval = min(configuration.maximumProbeInterval, keepalive)
        }
        applyLinkPolicy(of: profile, to: &configuration)
        configuration.routerHoldDown = UInt64(profile.routes.preemptDelaySeconds) * 1_000_000_000
        // A host on several routers sees any of them die within a second, idle or not (ForwardingCore+Routers.swift).
        if profile.role == .host && peers.count > 1 { configuration.fastIdleProbing = true }
        return configuration
    }
}
