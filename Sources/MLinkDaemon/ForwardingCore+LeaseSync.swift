import MLinkConfig
import MLinkControl
import MLinkLeases
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// A router's lease replication with its router peers (issue 16 item 3; PROTOCOL.md §14.4): the state per router
/// peer and the counters. Lives in `LeaseService.sync`; ForwardingCore drives it.
final class LeaseSyncService {
    /// At most this many control messages per router peer may wait for an ACK before more LEASE_SYNC is queued
    /// (the framework allows 16; the rest stays free for the other kinds).
    static let window = 8
    /// A peer clock further off than this (seconds) is logged once: lease times are absolute.
    static let skewWarning: Int64 = 30

    /// This run's `boot`: the start time in milliseconds, truncated to 32 bits.
    let boot: UInt32
    /// Per router peer (engine peer index).
    var peers: [Int: LeaseSyncPeer] = [:]
    /// The slice problem each peer's last message showed (overlap, outside the pool), nil when none.
    var sliceProblems: [Int: String] = [:]
    /// Slice problems found since start (each new one counted once).
    var overlaps: UInt64 = 0
    /// Peers whose clock skew was logged.
    var skewLogged: Set<Int> = []
    /// Until every router peer's table is in, or this monotonic time passes, a key without any binding gets no
    /// new address: it could take one another router already gave (the table lost with a lease file comes back
    /// in the peers' tables). Its request waits here and is answered then.
    let allocateAfter: UInt64
    var deferred: [(peer: Int, seq: UInt32, holding: IPAddress?)] = []
    /// True once new addresses are handed out.
    var allocating = false
    /// How long a starting router waits at most for its router peers' tables.
    static let startGraceNanoseconds: UInt64 = 3_000_000_000

    init(boot: UInt32) {
        self.boot = boot
        allocateAfter = MonotonicClock.now() + Self.startGraceNanoseconds
    }
}

extension ForwardingCore {
    /// True when engine peer `index` is a router peer (`role: router`) of this router.
    func isLeaseSyncPeer(_ index: Int) -> Bool {
        profile.role == .router && index < profile.peers.count && profile.peers[index].role == .router
    }

    /// Starts replication when this router has a pool and router peers (called by `startLeases`).
    func startLeaseSync(_ service: LeaseService) {
        guard service.table != nil else { return }
        let routerPeers = engine.peers.indices.filter(isLeaseSyncPeer)
        guard !routerPeers.isEmpty else { return }
        let sync = LeaseSyncService(boot: UInt32(truncatingIfNeeded: UInt64(max(0, WallClock.now() * 1000))))
        for index in routerPeers { sync.peers[index] = LeaseSyncPeer(name: engine.peers[index].name) }
        service.sync = sync
        log.info("leases: replicating with \(routerPeers.map { engine.peers[$0].name }.joined(separator: ", "))")
    }

    /// A new session with a router peer: the first one in this run gets the whole table.
    func leaseSyncSessionEstablished(peer: Int) {
        guard let service = leases, let table = service.table, let sync = service.sync,
              var state = sync.peers[peer], state.needsTable else { return }
        state.startTable(table.bindings.map(\.address))
        sync.peers[peer] = state
    }

    /// A LEASE_SYNC message from `peer`; the body is valid only during the call.
    func handleLeaseSync(peer: Int, body: UnsafeRawPointer, length: Int) {
        guard let service = leases, var table = service.table, let sync = service.sync, var state = sync.peers[peer]
        else { return engine.countControl(from: peer, unknown: true) }
        guard let message = LeaseSyncMessage(body: UnsafeRawBufferPointer(start: body, count: length)) else {
            state.malformed += 1
            sync.peers[peer] = state
            return engine.countControl(from: peer, unknown: false)
        }
        let now = leaseNow
        if state.received(message, localClock: now) {
            log.info("leases: router \(state.name) restarted; sending it the whole table")
            state.startTable(table.bindings.map(\.address))
        }
        if abs(state.clockOffset) > LeaseSyncService.skewWarning, sync.skewLogged.insert(peer).inserted {
            log.warning("leases: the clock of router \(state.name) is \(state.clockOffset) s off ours; "
                        + "lease times are absolute (run NTP)")
        }
        noteSlice(message.slice, peer: peer, state: state, table: &table, sync: sync)
        var effects: [LeaseTable.MergeResult] = []
        for record in message.records {
            let result = table.merge(record, from: state.name, now: now)
            if result.refused { state.recordsRefused += 1; continue }
            if result.conflict {
                state.conflicts += 1
                let winner = result.current.map { peerName($0.key) } ?? "-"
                let loser = (result.displaced ?? record).key
                log.error("leases: conflict at \(record.address) from router \(state.name): kept \(winner), "
                          + "dropped \(peerName(loser)) (owner \(table.owner(of: record.address) ?? "unknown"))")
            }
            if result.changed { state.recordsMerged += 1; effects.append(result) }
        }
        sync.peers[peer] = state
        service.table = table
        guard !effects.isEmpty else { return }
        if service.pendingWriteAt == nil { service.pendingWriteAt = now + LeaseService.coalescingSeconds }
        for result in effects { applyMergeEffect(result, service: service) }
    }

    /// A request from a key without any binding while this router has not yet heard every router peer's table
    /// (at most `startGraceNanoseconds` after start): kept, and answered by `leaseSyncFlush` when the tables are
    /// in. True when deferred.
    func deferLeaseRequest(peer: Int, seq: UInt32, holding: IPAddress?, service: LeaseService) -> Bool {
        guard let sync = service.sync, !sync.allocating, let table = service.table,
              table.binding(for: engine.peers[peer].publicKey) == nil else { return false }
        sync.deferred.removeAll { $0.peer == peer }
        sync.deferred.append((peer, seq, holding))
        return true
    }

    /// Runs after every wake-up: hands the table's own changes to every router peer and queues the messages
    /// the control window allows.
    func leaseSyncFlush() {
        guard let service = leases, service.table != nil, let sync = service.sync else { return }
        if !sync.allocating,
           sync.peers.values.allSatisfy(\.tableReceived) || MonotonicClock.now() >= sync.allocateAfter {
            sync.allocating = true
            let waiting = sync.peers.values.filter { !$0.tableReceived }.map(\.name)
            log.info("leases: allocating" + (waiting.isEmpty ? " (every router peer's table is in)"
                                             : " without the tables of \(waiting.joined(separator: ", "))")
                     + "; \(sync.deferred.count) requests waited")
            for request in sync.deferred {
                answerLease(peer: request.peer, seq: request.seq, service: service) { table, key, now in
                    table.request(key: key, holding: request.holding, now: now)
                }
            }
            sync.deferred.removeAll()
        }
        guard var table = service.table else { return }
        if table.hasChanges {
            let changed = table.takeChanges().map(\.address)
            service.table = table
            for index in sync.peers.keys { sync.peers[index]?.noteChanges(changed) }
        }
        let clock = leaseNow
        for (index, var state) in sync.peers where state.hasWork {
            while engine.pendingControlCount(of: index) < LeaseSyncService.window,
                  let message = state.nextMessage(table: table, boot: sync.boot, clock: clock) {
                do {
                    try engine.sendControl(to: index, kind: ControlKind.leaseSync, body: message.body,
                                           reliability: .reliable)
                } catch {
                    log.warning("leases: cannot queue LEASE_SYNC for \(state.name): \(error)")
                    break
                }
            }
            sync.peers[index] = state
        }
    }

    // MARK: - Private

    private func noteSlice(_ slice: IPNetwork, peer: Int, state: LeaseSyncPeer, table: inout LeaseTable,
                           sync: LeaseSyncService) {
        let problem: String?
        switch table.noteSlice(slice, of: state.name) {
        case .disjoint:
            problem = nil
        case .overlaps(let own, let theirs, let blocked):
            problem = "slice \(theirs) of router \(state.name) overlaps ours (\(own)); no new lease from \(blocked)"
        case .outsidePool(let theirs):
            problem = "slice \(theirs) of router \(state.name) is outside our pool \(table.pool.prefix)"
        }
        guard problem != sync.sliceProblems[peer] else { return }
        if let problem {
            sync.overlaps += 1
            log.error("leases: \(problem)")
        } else {
            log.info("leases: slice \(slice) of router \(state.name) no longer overlaps ours")
        }
        sync.sliceProblems[peer] = problem
    }

    /// A merge changed a record: a host routed here that lost its address is re-addressed (an unasked ASSIGN),
    /// and a host whose binding here is no longer bound loses its route.
    private func applyMergeEffect(_ result: LeaseTable.MergeResult, service: LeaseService) {
        if let lost = result.displaced, service.routed[lost.key] == lost.address,
           let host = engine.peers.firstIndex(where: { $0.publicKey == lost.key }) {
            log.warning("leases: \(lost.address) of peer \(engine.peers[host].name) lost a conflict; re-addressing")
            answerLease(peer: host, seq: 0, service: service) { table, key, now in
                table.request(key: key, holding: nil, now: now)
            }
            return
        }
        guard let record = result.current ?? result.previous, service.routed[record.key] == record.address,
              service.table?.binding(for: record.key).map({ $0.state == .bound && $0.address == record.address }) != true
        else { return }
        routeLease(record.key, to: nil)
    }
}

// MARK: - Show and metrics

extension ForwardingCore {
    /// The `sync` part of a router's lease report, or nil without replication.
    func leaseSyncReport() -> LeaseSyncReport? {
        guard let service = leases, let sync = service.sync else { return nil }
        var report = LeaseSyncReport()
        report.boot = sync.boot
        report.overlaps = sync.overlaps
        report.blocked = service.table?.blocked.map(\.description) ?? []
        report.routers = sync.peers.keys.sorted().compactMap { index in
            guard let state = sync.peers[index] else { return nil }
            var peer = LeaseSyncPeerReport(name: state.name)
            peer.slice = state.slice?.description
            peer.problem = sync.sliceProblems[index]
            peer.tableReceived = state.tableReceived
            peer.messagesSent = state.messagesSent
            peer.messagesReceived = state.messagesReceived
            peer.merged = state.recordsMerged
            peer.refused = state.recordsRefused
            peer.conflicts = state.conflicts
            peer.malformed = state.malformed
            peer.clockOffset = state.clockOffset
            return peer
        }
        return report
    }
}

extension MetricsRenderer {
    /// `mlink_lease_sync_messages_total{router,direction}`, `mlink_lease_sync_merges_total{router}`,
    /// `mlink_lease_conflicts_total{router}`, `mlink_lease_sync_refused_total{router}`,
    /// `mlink_lease_slice_overlaps_total`.
    static func renderLeaseSync(_ report: StatusReport, into out: inout MetricsText) {
        guard let sync = report.leases?.sync else { return }
        let interface = [("interface", report.interface)]
        out.family("mlink_lease_sync_messages_total", .counter, "LEASE_SYNC messages, by router peer and direction.")
        for router in sync.routers {
            out.sample("mlink_lease_sync_messages_total", interface + [("router", router.name), ("direction", "sent")],
                       Double(router.messagesSent))
            out.sample("mlink_lease_sync_messages_total",
                       interface + [("router", router.name), ("direction", "received")], Double(router.messagesReceived))
        }
        out.family("mlink_lease_sync_merges_total", .counter, "Synced records that changed the lease table.")
        for router in sync.routers {
            out.sample("mlink_lease_sync_merges_total", interface + [("router", router.name)], Double(router.merged))
        }
        out.family("mlink_lease_conflicts_total", .counter, "Two bound records of different keys at one address.")
        for router in sync.routers {
            out.sample("mlink_lease_conflicts_total", interface + [("router", router.name)], Double(router.conflicts))
        }
        out.family("mlink_lease_sync_refused_total", .counter, "Synced records the pool does not allow here.")
        for router in sync.routers {
            out.sample("mlink_lease_sync_refused_total", interface + [("router", router.name)], Double(router.refused))
        }
        out.family("mlink_lease_slice_overlaps_total", .counter,
                   "Router peer slices found overlapping ours or outside our pool.")
        out.sample("mlink_lease_slice_overlaps_total", interface, Double(sync.overlaps))
    }
}
