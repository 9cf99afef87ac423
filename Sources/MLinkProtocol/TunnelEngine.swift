import MLinkControl
import MLinkFlows
import MLinkTypes

/// The sans-I/O protocol core: given datagrams, inner packets and the time, it decides what to send and deliver.
///
/// It never touches a socket or a clock; the daemon passes `now` (monotonic nanoseconds) and performs the I/O the
/// engine asks for. That is what lets two engines talk to each other in unit tests with a fake clock.
///
/// Outbound, one call per batch: `encapsulate` (TunnelEngine+Outbound.swift) fills an `OutboundBatch`, the daemon
/// sends it and hands it back to `completeTransmission`. Inbound, one call per datagram: `receive` returns a
/// `Verdict`. The pipeline as a whole is written once, at the top of Sources/MLinkDaemon/DataPath.swift.
public final class TunnelEngine {
    public internal(set) var configuration: EngineConfiguration
    /// The peers; index 0 is the router on a host.
    public let peers: [Peer]
    /// The role's own state: a host's choice among its routers, or a router's handshake cache, limits and routes.
    /// Stored as two optionals rather than the enum itself: a multi-payload enum keeps tag bits in the object
    /// pointer, which LeakSanitizer (the fuzz build) cannot follow, so it reported the role's memory as leaked.
    let hostState: HostRole?
    private let routerState: RouterRole?
    @inline(__always)
    var role: Role {
        if let routerState { return .router(routerState) }
        return .host(hostState!)
    }
    /// The peers we dial (every peer of a host; a router's higher-keyed router peers), so a response or cookie
    /// reply costs a scan of these few, not of every host of a router.
    lazy var dialledPeers: [Int] = peers.indices.filter { peers[$0].dials }
    /// Local session index -> peer, for every session that may still receive.
    var sessions = SessionTable()
    var peerByKey: [Key32: Int] = [:]
    var randomSource: () -> UInt32
    /// Fresh ephemeral private keys for handshakes (tests substitute fixed ones).
    var makeEphemeral: () -> Key32
    /// Nanoseconds since the Unix epoch, for initiation timestamps (the only use of wall time).
    var wallClock: () -> UInt64
    /// Our links by slot: a host makes its connections from them, a router names learned connections after them.
    var localLinks: [Int: (name: String, local: SocketAddress)] = [:]

    /// Scratch for the copies of the packet being encapsulated: indices into the peer's connections. Its capacity
    /// is reserved once, so choosing copies never allocates.
    var copyPlan: [Int]
    /// Where `receive` writes an answer (handshake response or probe reply) when it returns `.reply`.
    public let replyBuffer: UnsafeMutableRawPointer
    public static let replyCapacity = 160
    /// Per peer, the packets waiting for a session (TunnelEngine+Staging.swift).
    lazy var staging = StagingArea(peers: peers.count, isRouter: isRouter)
    /// Datagrams dropped before any peer could be blamed: malformed, unknown session, bad tag, unknown key.
    public internal(set) var globalDrops = GlobalDrops()
    /// Peers with control messages or ACKs to send (TunnelEngine+Control.swift).
    var controlWork: [Int] = []
    /// Where a control or parity payload is assembled before it is sealed.
    let controlScratch: UnsafeMutableRawPointer
    static let scratchCapacity = 2048
    /// Packets rebuilt from parity (TunnelEngine+Parity.swift), each with transport headroom and tailroom.
    let recoveredBuffers: UnsafeMutableRawPointer
    static let recoveredCapacity = ParityPayload.maximumM
    static let recoveredStride = 2048
    /// How many of them the last parity message rebuilt, and their lengths.
    var recoveredLengths: [Int] = [Int](repeating: 0, count: ParityPayload.maximumM)
    var recoveredPeer = 0
    /// Events not yet drained by the daemon.
    var events: [Event] = []
    /// Per-flow policies (TunnelEngine+Policy.swift): nil without policies, and then no flow table either.
    var policySettings: PolicySettings?
    var flowTable: FlowTable?
    var flowRules = FlowRuleSet([])
    var policyCounts: [PolicyCounts] = []
    var usesFailover = false
    /// When the previous `tick` ran, and how long before this one it did (the PATH_SILENT log line shows the
    /// gap: how late this process ran its timers).
    var lastTickAt: UInt64 = 0
    var tickGap: UInt64 = 0
    /// The earliest time a steady stream's silence crosses its PATH_SILENT threshold, as the last tick (or
    /// `checkSilence`) saw it (`.max`: none). Later data only moves the real moment later, so waking for it costs
    /// at most a wake-up that finds nothing to alarm.
    public internal(set) var silenceDue: UInt64 = .max
    var usesAdaptive = false
    /// Scratch list of link numbers for the planners (capacity reserved: no allocation per tick).
    /// Some peer's reorder buffer holds striped packets: drain `nextReordered` (TunnelEngine+Aggregate.swift).
    public internal(set) var hasReorderedPackets = false
    var linkScratch: [Int] = { var list = [Int](); list.reserveCapacity(256); return list }()
    /// The adaptive planner's per-link figures, computed once per tick (TunnelEngine+Policy.swift).
    let planScratch = PlanScratch()

    /// The two roles, each with the state only it keeps.
    enum Role {
        case host(HostRole)
        case router(RouterRole)
    }

    /// True on a router (what copies are grouped by, which timers run).
    @inline(__always)
    var isRouter: Bool { routerState != nil }

    /// Drops not attributable to a peer: MLinkControl's `DropCounts` (its `tunWrite` is the daemon's, never the
    /// engine's).
    public typealias GlobalDrops = DropCounts

    /// What to do with a received datagram.
    public enum Verdict: Equatable {
        /// Write the inner packet at `offset`, `length` bytes, to the TUN device.
        case deliver(offset: Int, length: Int)
        /// Send the inner packet at `offset` to peer `peer` (router forwarding).
        case forward(peer: Int, offset: Int, length: Int)
        /// Send `replyBuffer[0..<length]` back on the same socket to the datagram's source.
        case reply(length: Int)
        /// A new control message from `peer` (PROTOCOL.md section 14): its body is at `offset`, `length` bytes;
        /// `flags` are the kind's own bits (0-6). ACKs never come out here.
        case control(peer: Int, kind: UInt8, flags: UInt8, offset: Int, length: Int)
        /// A parity message rebuilt `count` lost data packets of `peer`: ask `recovered(_:)` what to do with each.
        case recovered(peer: Int, count: Int)
        /// Nothing to do (consumed, or dropped and counted).
        case none
    }

    /// `wallClock` gives nanoseconds since the Unix epoch (timestamps of initiations); `random` session indices;
    /// `ephemeral` handshake keys. The defaults draw from libsodium's random source.
    public init(configuration: EngineConfiguration, wallClock: @escaping () -> UInt64,
                random: (() -> UInt32)? = nil, ephemeral: (() -> Key32)? = nil) {
        precondition(Crypto.initialize(), "libsodium failed to initialize")
        self.configuration = configuration
        peers = configuration.peers.map { Peer($0, onHost: !configuration.isRouter) }
        routerState = configuration.isRouter ? RouterRole(configuration: configuration, peers: peers) : nil
        hostState = configuration.isRouter ? nil : HostRole()
        randomSource = random ?? { Crypto.randomUInt32() }
        makeEphemeral = ephemeral ?? { Crypto.randomKey() }
        self.wallClock = wallClock
        copyPlan = []
        copyPlan.reserveCapacity(max(64, configuration.maximumConnectionsPerPeer))
        replyBuffer = UnsafeMutableRawPointer.allocate(byteCount: TunnelEngine.replyCapacity, alignment: 16)
        controlScratch = UnsafeMutableRawPointer.allocate(byteCount: TunnelEngine.scratchCapacity, alignment: 16)
        recoveredBuffers = UnsafeMutableRawPointer.allocate(
            byteCount: TunnelEngine.recoveredCapacity * TunnelEngine.recoveredStride, alignment: 64)
        for (index, peer) in peers.enumerated() { peerByKey[peer.publicKey] = index }
    }

    deinit {
        replyBuffer.deallocate()
        controlScratch.deallocate()
        recoveredBuffers.deallocate()
    }

    /// The X25519 public key of a private key (what `pubkey` prints and peers list).
    public static func publicKey(for privateKey: Key32) -> Key32 {
        precondition(Crypto.initialize(), "libsodium failed to initialize")
        return Crypto.publicKey(for: privateKey)
    }

    // MARK: Links (host side makes connections from them)

    /// The first router's resolved endpoints (a host with one router). Connections are rebuilt for every link.
    public func setRouterEndpoints(_ endpoints: [SocketAddress]) {
        if let first = peers.indices.first(where: { peers[$0].dials }) { setEndpoints(endpoints, peer: first) }
    }

    /// The resolved endpoints of a peer we dial (TunnelEngine+Routers.swift); its connections are rebuilt for
    /// every link.
    public func setEndpoints(_ endpoints: [SocketAddress], peer peerIndex: Int) {
        let peer = peers[peerIndex]
        guard peer.dials else { return }
        peer.endpoints = endpoints
        for (slot, link) in localLinks { HostRole.rebuildConnections(of: peer, slot: slot, name: link.name, local: link.local) }
    }

    /// A local link is usable at `slot` with a socket bound to `local`.
    public func linkAdded(slot: Int, name: String, local: SocketAddress) {
        localLinks[slot] = (name, local)
        for peer in peers where peer.dials {
            HostRole.rebuildConnections(of: peer, slot: slot, name: name, local: local)
        }
    }

    /// The link at `slot` is gone: its connections leave every bundle.
    public func linkRemoved(slot: Int) {
        localLinks[slot] = nil
        for peer in peers { peer.connections.removeAll { $0.slot == slot } }
    }

    // MARK: Outbound

    /// The peer an inner packet goes to, or nil (dropped and counted as no route).
    @inline(__always)
    public func peer(forOutbound packet: UnsafeRawPointer, length: Int) -> Int? {
        guard case .router(let router) = role else {
            // A host sends everything to its current router, except what must stay on its own link
            // (InnerPacket+Scope).
            guard !peers.isEmpty else { return nil }
            guard !InnerPacket.isLinkScoped(packet, length: length) else {
                globalDrops.noRoute += 1
                return nil
            }
            return hostState!.current
        }
        guard let destination = InnerPacket.destination(packet, length: length),
              let index = router.routes.lookup(destination) else {
            globalDrops.noRoute += 1
            return nil
        }
        return index
    }

    // MARK: Inbound

    /// Handles one datagram received on socket `slot` from `source`. May rewrite the buffer in place.
    public func receive(_ message: UnsafeMutableRawPointer, length: Int, slot: Int, source: SocketAddress, now: UInt64) -> Verdict {
        guard length >= 4, length <= WireFormat.maximumDatagramSize,
              message.load(fromByteOffset: 1, as: UInt8.self) == 0 || message.load(as: UInt8.self) == WireFormat.MessageType.data.rawValue,
              let type = WireFormat.MessageType(rawValue: message.load(as: UInt8.self)) else {
            globalDrops.malformed += 1
            return .none
        }
        switch type {
        case .initiation: return receiveInitiation(message, length: length, slot: slot, source: source, now: now)
        case .response: return receiveResponse(message, length: length, slot: slot, source: source, now: now)
        case .cookieReply: return receiveCookieReply(message, length: length, slot: slot, source: source, now: now)
        case .data, .probe, .control, .parity:
            return receiveTransport(message, length: length, slot: slot, source: source, now: now)
        }
    }

    /// Which of a peer's sessions a receiver index names.
    enum SessionRole { case current, previous, next }

    private func receiveTransport(_ message: UnsafeMutableRawPointer, length: Int, slot: Int, source: SocketAddress, now: UInt64) -> Verdict {
        guard let header = TransportHeader.read(from: message, length: length) else {
            globalDrops.malformed += 1
            return .none
        }
        guard let peerIndex = sessions.lookUp(header.receiverIndex) else {
            globalDrops.unknownSession += 1
            return .none
        }
        let peer = peers[peerIndex]
        let role: SessionRole
        if peer.session?.localIndex == header.receiverIndex { role = .current }
        else if peer.previousSession?.localIndex == header.receiverIndex { role = .previous }
        else if peer.nextSession?.localIndex == header.receiverIndex { role = .next }
        else {
            globalDrops.unknownSession += 1
            return .none
        }
        // The session is used where it lies in the peer (a copy of the value per datagram cost a copy of its keys
        // and a retain and release of its window).
        let admission: Session.Admission
        switch role {
        case .current:
            admission = peer.session!.admit(message, length: length, counter: header.counter, now: now,
                                            rejectAfter: configuration.rejectAfterTime)
        case .previous:
            admission = peer.previousSession!.admit(message, length: length, counter: header.counter, now: now,
                                                    rejectAfter: configuration.rejectAfterTime)
        case .next:
            admission = peer.nextSession!.admit(message, length: length, counter: header.counter, now: now,
                                                rejectAfter: configuration.rejectAfterTime)
        }
        let verdict: ReplayWindow.Verdict
        switch admission {
        case .forged, .damaged:
            globalDrops.unauthenticated += 1
            return .none
        case .expired:
            peer.counters.expired += 1
            return .none
        case .accepted(let v):
            verdict = v
        }
        // Only a new counter proves where the peer is now: a replayed copy from another address must neither
        // move a connection (roaming) nor create one.
        guard let c = connectionIndex(peer: peer, slot: slot, source: source, remotePathID: header.pathID, now: now,
                                      mayLearn: verdict == .new) else {
            switch verdict {
            case .duplicate: peer.counters.duplicates += 1
            case .tooOld: peer.counters.tooOld += 1
            case .new: peer.counters.pathsRefused += 1
            }
            return .none
        }
        // A copy proves its path alive when it is new, or when it lost the race to another link: still inside the
        // window and newer than anything this path carried in this session, or sent on this path later than
        // anything it delivered (a path sequence ahead), or reordered on this path (a gap among its last 64 path
        // sequences that nothing filled yet). A recorded packet replayed later (too old, or its path sequence
        // seen) proves nothing and must not keep a dead path "up".
        var fresh = verdict == .new
        if role != .previous, verdict != .tooOld {
            if peer.connections[c].counterSession != header.receiverIndex {
                peer.connections[c].counterSession = header.receiverIndex
                peer.connections[c].highestCounter = 0
            }
            if header.counter > peer.connections[c].highestCounter {
                peer.connections[c].highestCounter = header.counter
                fresh = true
            } else if peer.connections[c].statistics.isAhead(header.pathSequence) {
                fresh = true  // a replay or repair sent on this path now (ReplayRing.swift)
            } else if peer.connections[c].statistics.isUnseenGap(header.pathSequence) {
                fresh = true  // reordered on this path behind a later copy: it was sent and it arrived
            }
        }
        if fresh {
            let wasDown = peer.connections[c].state == .down
            peer.connections[c].markReceived(bytes: length, now: now)
            peer.connections[c].statistics.observeSequence(header.pathSequence)
            // The gap of an outage is counted as lost, but it is over: "recent loss" starts afresh so a repaired
            // path is up at once instead of degraded until the gap decays.
            if wasDown { peer.connections[c].statistics.recentLoss = 0 }
        }
        recordReceived(header.type, verdict: verdict, bytes: length, peer: peer, connection: c, now: now)
        let window: ReplayWindow  // the admitting session's (a reference: no copy of the session)
        switch verdict {
        case .duplicate:
            peer.connections[c].statistics.duplicates += 1
            peer.counters.duplicates += 1
            return .none
        case .tooOld:
            peer.connections[c].statistics.tooOld += 1
            peer.counters.tooOld += 1
            return .none
        case .new:
            window = role == .current ? peer.session!.window : role == .previous ? peer.previousSession!.window
                : peer.nextSession!.window
            if role == .current {
                noteCounter(peer, counter: header.counter, window: window, connection: c,
                            pathSequence: header.pathSequence, now: now)
            }
            window.record(header.counter, now: now)
            if role == .next { promoteNextSession(of: peer, now: now) }
        }
        let payload = WireFormat.transportHeaderSize
        let payloadLength = length - WireFormat.transportOverhead
        switch header.type {
        case .data:
            peer.connections[c].statistics.deliveredFirst += 1
            peer.counters.delivered += 1
            if role == .current, header.counter < window.highest {  // a rescue (or reordering): what filled a gap
                peer.counters.deliveredLate += 1
                if peer.receiverFeedback.wasNacked(header.counter) { peer.counters.deliveredAfterNack += 1 }
            }
            if let parity = peer.parityReceiver, parity.isActive(now: now) {
                parity.keep(message + payload, length: payloadLength, counter: header.counter)
            }
            let distance = message.load(fromByteOffset: 1, as: UInt8.self)
            if distance != 0 {  // striped (PROTOCOL.md section 16): in order through the reorder buffer
                return receiveStriped(message + payload, length: payloadLength, distance: distance, counter: header.counter,
                                      session: header.receiverIndex, from: peerIndex, connection: c, now: now)
            }
            return route(inbound: message + payload, length: payloadLength, from: peerIndex)
        case .parity:
            return receiveParity(message + payload, length: payloadLength, from: peerIndex, window: window, now: now)
        case .probe:
            return receiveProbe(message + payload, length: payloadLength, peer: peer, connection: c, now: now)
        case .control:
            let verdict = receiveControl(message + payload, length: payloadLength, from: peerIndex, offset: payload)
            if case .control(_, let kind, let flags, _, let bodyLength) = verdict, kind == ControlKind.close {
                return receiveClose(flags: flags, length: bodyLength, from: peerIndex, now: now)
            }
            if case .control(_, let kind, _, let offset, let bodyLength) = verdict, ControlKind.linkPolicy.contains(kind) {
                return receiveLinkControl(kind: kind, body: message + offset, length: bodyLength, from: peerIndex, on: c,
                                          now: now)
            }
            return verdict
        default:
            return .none
        }
    }

    /// True when `session` may still send: not past its reject-after time or counter limit.
    @inline(__always)
    func isUsable(_ session: Session, now: UInt64) -> Bool {
        now &- session.established < configuration.rejectAfterTime && session.sendCounter < configuration.rejectAfterMessages
    }

    @inline(__always)
    func route(inbound packet: UnsafeMutableRawPointer, length: Int, from peerIndex: Int) -> Verdict {
        let offset = WireFormat.transportHeaderSize
        // Crypto-routing, both ways: a peer may only send from addresses in its allowed-ips (on a host, the
        // router's: the virtual network and the routes behind the router).
        guard let source = InnerPacket.source(packet, length: length), peers[peerIndex].allows(source) else {
            peers[peerIndex].counters.sourceRejected += 1
            return .none
        }
        guard case .router(let router) = role else { return .deliver(offset: offset, length: length) }
        guard let destination = InnerPacket.destination(packet, length: length) else { return .none }
        if destination == configuration.virtualAddress { return .deliver(offset: offset, length: length) }
        guard let target = router.routes.lookup(destination) else {
            globalDrops.noRoute += 1
            return .none
        }
        if target == peerIndex { return .none }  // never reflect a packet back to its sender
        // A full mesh has one router hop: what a router peer sends goes to our own hosts only (no loops).
        if peers[target].isRouter && peers[peerIndex].isRouter {
            peers[peerIndex].counters.transitRefused += 1
            return .none
        }
        peers[peerIndex].counters.forwarded += 1
        return .forward(peer: target, offset: offset, length: length)
    }

    /// Finds the connection a packet arrived on: a router learns it (or follows a moved source), a host follows a
    /// reply from an unexpected router address on that link (Bundle.swift). Only with `mayLearn` (a new authentic
    /// counter) may a connection be created or moved.
    func connectionIndex(peer: Peer, slot: Int, source: SocketAddress, remotePathID: UInt16, now: UInt64,
                         mayLearn: Bool = true) -> Int? {
        // The link is looked up only when a connection is created (not per datagram: a dictionary lookup).
        if peer.dials {
            return peer.followedConnection(slot: slot, source: source, remotePathID: remotePathID, mayLearn: mayLearn,
                                           link: self.localLinks[slot] ?? (name: "slot\(slot)", local: source))
        }
        return peer.learnedConnection(slot: slot, source: source, remotePathID: remotePathID, now: now,
                                      mayLearn: mayLearn, link: self.localLinks[slot] ?? (name: "slot\(slot)", local: source),
                                      limit: configuration.maximumConnectionsPerPeer)
    }
}
