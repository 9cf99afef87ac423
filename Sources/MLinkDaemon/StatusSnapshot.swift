import MLinkControl
import MLinkFlows
import MLinkProtocol
import MLinkTypes

/// Builds the typed status report from the engine's counters and the core's own facts.
///
/// Runs on the event loop when a `show` request is complete, when the metrics endpoint is scraped and once per
/// drop-log interval, never per packet. It reads counters and formats addresses, nothing more: about 40 us for
/// a host with 64 connections in a release build (`StatusSnapshotTests` prints the figures). Encoding the JSON
/// or the Prometheus text costs 10 to 100 times more, so that runs off the loop (`AnswerWorker`).
enum StatusSnapshot {
    /// What the report says that the engine does not know.
    struct CoreFacts {
        var interface = ""
        var name = ""
        var role = ""
        var address = ""
        var mode = ""
        var pid = 0
        var started = 0.0
        var listenPort = 0
        var links: [LinkReport] = []
        var sourceRouting: [SourceRouteReport] = []
        var routerEndpoints: [String] = []
        var metricsListen: String?
        /// A host's view of its router's network (its virtual address and routes); nil on a router, whose
        /// peers' networks are their allowed-ips.
        var routerNetworks: [IPNetwork]?
        var oversized: UInt64 = 0
        var tunWriteDrops: UInt64 = 0
        var tunReadPackets: UInt64 = 0
        var tunWritePackets: UInt64 = 0
        var tun = TunCounts()
    }

    /// The report at monotonic time `now` (ns) and wall time `wallNow` (s since the epoch).
    static func report(engine: TunnelEngine, facts: CoreFacts, now: UInt64, wallNow: Double) -> StatusReport {
        var report = StatusReport()
        report.interface = facts.interface
        report.name = facts.name
        report.role = facts.role
        report.address = facts.address
        report.mode = facts.mode
        report.publicKey = engine.configuration.publicKey.base64
        report.pid = facts.pid
        report.started = facts.started
        report.listenPort = facts.listenPort
        report.links = facts.links
        report.sourceRouting = facts.sourceRouting
        report.routerEndpoints = facts.routerEndpoints
        report.metricsListen = facts.metricsListen
        report.drops = DropCounts(engine.globalDrops, oversized: facts.oversized, tunWrite: facts.tunWriteDrops)
        report.tun = facts.tun
        report.tun.rxPackets = facts.tunReadPackets
        report.tun.txPackets = facts.tunWritePackets
        report.peers.reserveCapacity(engine.peers.count)
        for peer in engine.peers {
            var entry = PeerReport()
            entry.name = peer.name
            entry.publicKey = peer.publicKey.base64
            entry.allowedIPs = peer.allowedIPs.map(\.description)
            entry.virtualAddresses = (facts.routerNetworks ?? peer.allowedIPs).map(\.description)
            entry.session = peer.session != nil
            entry.counters = peer.counters
            if peer.lastHandshake != 0 { entry.latestHandshake = wallNow - seconds(now &- peer.lastHandshake) }
            entry.connections.reserveCapacity(peer.connections.count)
            for connection in peer.connections {
                let c = ConnectionReport(connection, peerDelivered: peer.counters.delivered, isRouter: !peer.dials, now: now)
                entry.txBytes &+= c.counters.txBytes
                entry.rxBytes &+= c.counters.rxBytes
                entry.connections.append(c)
            }
            entry.mesh = meshReport(of: peer, engine: engine, now: now)  // ForwardingCore+Routers.swift
            report.peers.append(entry)
        }
        report.routerChoice = routerChoiceReport(engine: engine, now: now, wallNow: wallNow)
        report.policies = policyStatus(engine: engine, now: now)
        return report
    }

    /// The `policies` object: per-class usage, the 32 most recent flows, the adaptive plans.
    static func policyStatus(engine: TunnelEngine, now: UInt64) -> PolicyStatus? {
        let usage = engine.policyUsage
        guard !usage.isEmpty else { return nil }
        var status = PolicyStatus()
        status.classes = usage.map {
            PolicyUsageReport(name: $0.name, packets: $0.counts.packets, dataBytes: $0.counts.dataBytes,
                              duplicateBytes: $0.counts.duplicateBytes, parityBytes: $0.counts.parityBytes,
                              repairBytes: $0.counts.repairBytes, replayBytes: $0.counts.replayBytes)
        }
        let flows = engine.activeFlows(now: now).sorted { $0.flow.lastSeen > $1.flow.lastSeen }.prefix(32)
        status.flows = flows.map { entry in
            let flow = entry.flow, key = flow.key
            let proto = key.proto == 6 ? "tcp" : key.proto == 17 ? "udp" : "proto \(key.proto)"
            return FlowReport(flow: "\(proto) \(key.source):\(key.sourcePort) > \(key.destination):\(key.destinationPort)",
                              trafficClass: flow.trafficClass.name, reason: flow.reason.name,
                              detected: flow.detected.description, policy: entry.policy, packets: flow.packets,
                              bytes: flow.bytes, packetsPerSecond: flow.packetsPerSecond, idle: seconds(now &- flow.lastSeen),
                              decidedAtPacket: flow.decidedAtPacket, decidedAfter: milliseconds(flow.decidedAfter),
                              firstLivePacket: flow.firstLivePacket)
        }
        if engine.usesAdaptivePolicies {
            status.adaptive = engine.peers.map { peer in
                let plan = peer.adaptive
                let level = plan.level.name
                return AdaptiveReport(peer: peer.name, level: level, primaryLink: plan.primaryLink, parityK: plan.parityK,
                                      parityLink: plan.parityLink, changes: peer.adaptiveChanges,
                                      reason: plan.reasonText(deadline: engine.adaptiveTargets.deadline,
                                                              targetLoss: engine.adaptiveTargets.targetLoss))
            }
        }
        status.aggregate = aggregateStatus(engine: engine, now: now)
        return status
    }

    static func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }
    /// Milliseconds to 0.01 ms.
    static func milliseconds(_ nanoseconds: UInt64) -> Double { (Double(nanoseconds) / 1e4).rounded() / 100 }
}

extension DropCounts {
    /// The engine's drops plus the core's own (`oversized`, `tun_write`).
    init(_ engine: DropCounts, oversized: UInt64, tunWrite: UInt64) {
        self = engine
        self.oversized += oversized  // the core's receive side and the engine's outbound side
        self.tunWrite = tunWrite
    }
}


extension ConnectionCounts {
    init(_ s: PathStatistics) {
        self.init()
        txBytes = s.txBytes
        rxBytes = s.rxBytes
        txPackets = s.txPackets
        rxPackets = s.rxPackets
        deliveredFirst = s.deliveredFirst
        duplicates = s.duplicates
        tooOld = s.tooOld
        sendDrops = s.sendDrops
        lost = s.lostEstimate
        for keyPath in ConnectionCounts.trafficKeyPaths { self[keyPath: keyPath] = s.traffic[keyPath: keyPath] }
    }
}

extension ConnectionReport {
    /// One connection's report, its derived figures computed one way for `show`, the metrics and the log.
    ///
    /// Loss is the share of packets lost from the per-path sequence numbers, and on a host also from
    /// unanswered probes (the newest probe may still be in flight, so it is not counted).
    init(_ connection: Connection, peerDelivered: UInt64, isRouter: Bool, now: UInt64) {
        self.init()
        let s = connection.statistics
        link = connection.linkName
        local = connection.local.description
        remote = connection.remote.description
        state = ConnectionState(connection.state)
        pathID = Int(connection.pathID)
        rttMilliseconds = Double(s.smoothedRTT) / 1e6
        jitterMilliseconds = Double(s.rttVariation) / 1e6
        let probeLoss = s.probesSent > 4 ? max(0, 1 - Double(s.probeRepliesReceived) / Double(s.probesSent - 1)) : 0
        let seen = Double(s.rxPackets) + Double(s.lostEstimate)
        let pathLoss = seen > 0 ? Double(s.lostEstimate) / seen : 0
        loss = isRouter ? pathLoss : max(probeLoss, pathLoss)
        firstShare = Double(s.deliveredFirst) / Double(max(peerDelivered, 1))
        if connection.lastReceived != 0 { lastReceivedAge = StatusSnapshot.seconds(now &- connection.lastReceived) }
        if connection.stateChanged != 0 { stateAge = StatusSnapshot.seconds(now &- connection.stateChanged) }
        counters = ConnectionCounts(s)
    }
}

extension ConnectionState {
    init(_ state: Connection.State) {
        switch state {
        case .probing: self = .probing
        case .up: self = .up
        case .degraded: self = .degraded
        case .down: self = .down
        case .unreachable: self = .unreachable
        }
    }
}
