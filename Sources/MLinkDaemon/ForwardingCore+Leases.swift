import MLinkConfig
import MLinkControl
import MLinkLeases
import MLinkNetlink
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// Where leases are kept: `$MLINK_STATE_DIR/IFNAME/` (default /var/lib/mlink/IFNAME/, systemd's
/// `StateDirectory=mlink`), directory 0700, files 0600. The router keeps `leases`, a host `lease`.
public struct LeaseStateDirectory: Sendable {
    /// The default parent directory.
    public static let defaultParent = "/var/lib/mlink"
    /// This interface's directory.
    public let path: String

    /// The directory of `interface` under `MLINK_STATE_DIR` in `environment`, or under /var/lib/mlink.
    public init(interface: String, environment: [String: String]) {
        var parent = environment["MLINK_STATE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultParent
        while parent.count > 1 && parent.hasSuffix("/") { parent.removeLast() }
        path = parent == "/" ? "/\(interface)" : "\(parent)/\(interface)"
    }

    /// The router's lease file.
    public var routerFile: String { "\(path)/leases" }
    /// The host's lease file.
    public var hostFile: String { "\(path)/lease" }
}

/// The lease service of one core (issue 13 step 4; PROTOCOL.md §14.1): the router's table and file, or the
/// host's client, its address on the TUN device and its file. State only; ForwardingCore drives it.
final class LeaseService {
    /// Renewals only move an expiry: they reach the file at most this often (new bindings at once).
    static let coalescingSeconds: UInt64 = 10
    /// How long `mlink down` waits for the router to acknowledge a RELEASE.
    static let releaseWaitNanoseconds: UInt64 = 500_000_000

    let directory: LeaseStateDirectory
    /// Router: the bindings (nil on a host or without a pool).
    var table: LeaseTable?
    /// Router: the keys that take leases (peers without allowed-ips, or with a reservation in the pool).
    var leaseKeys: Set<Key32> = []
    /// Router: a renewal not yet written, and when it must be.
    var pendingWriteAt: UInt64?
    /// Host: the client (nil on a router).
    var client: HostLeaseClient?
    /// Host: the address configured on the TUN device now.
    var configured: IPNetwork?
    /// Host: the seq of the last ASSIGN applied in this session.
    var lastAssignSeq: UInt32 = 0
    /// Host: ASSIGNs from the lease router applied since the core started (`show`'s `answers`).
    var answers = 0
    /// Host: when the lease was first obtained after start (Unix seconds with fraction), for `show`.
    var obtainedAfterStart: Double?
    /// Wall-clock second of the last timer pass.
    var lastTick: UInt64 = 0
    /// Malformed lease bodies received, and lease file writes that failed.
    var malformed: UInt64 = 0
    var writeFailures: UInt64 = 0
    /// The TUN device's interface index (host).
    var tunIndex: Int32 = 0
    /// Router: replication with router peers (ForwardingCore+LeaseSync.swift), nil without any.
    var sync: LeaseSyncService?
    /// Router: the address routed to each host key here (its own request was granted here).
    var routed: [Key32: IPAddress] = [:]
    /// Host on several routers: whether the others accept its address (ForwardingCore+HostRouterLeases.swift).
    var otherRouters: HostRouterLeases?
    /// Host on several routers: the lease router the others were last asked for.
    var askedFor: Int?

    init(directory: LeaseStateDirectory) { self.directory = directory }
}

extension ForwardingCore {
    /// Wall-clock seconds: leases are persisted and outlive the process, so they use the real clock.
    var leaseNow: UInt64 { UInt64(max(0, WallClock.seconds)) }

    /// Starts the lease service when the profile uses one: a router with an `address-pool` loads its lease
    /// file (tolerantly) and routes every bound address to its peer; a host with `address: auto` configures a
    /// saved, unexpired lease on the TUN device at once, before any router has answered.
    func startLeases() throws {
        guard profile.addressPool != nil || profile.interface.addressIsAuto else { return }
        let service = LeaseService(directory: LeaseStateDirectory(interface: tun.name, environment: Files.environment()))
        try Files.makeDirectory(service.directory.path, mode: 0o700)
        let now = leaseNow
        if let pool = profile.leasePool, let settings = profile.addressPool {
            var loaded: [Binding] = []
            if let bytes = try? Files.read(service.directory.routerFile) {
                let (bindings, warnings) = LeaseFile.decode(String(decoding: bytes, as: UTF8.self))
                for warning in warnings { log.warning("\(service.directory.routerFile): \(warning)") }
                loaded = bindings
            }
            service.leaseKeys = profile.leasePeerKeys
            var table = LeaseTable(pool: pool, leaseSeconds: settings.leaseSeconds, allocator: profile.name,
                                   loading: loaded, leaseKeys: service.leaseKeys, now: now)
            table.holdSeconds = settings.holdSeconds
            service.table = table
            leases = service
            startLeaseSync(service)
            try writeLeaseTable(service)
            // Synced bindings (another router's, PROTOCOL.md §14.4) are routed here only once their host asks here.
            for binding in table.bindings where binding.state == .bound && binding.allocator == table.allocator {
                routeLease(binding.key, to: binding.address)
            }
            log.info("leases: \(table.count(.bound)) bound, \(table.freeCount) free in \(settings.allocate) "
                     + "(\(service.directory.routerFile))")
        } else if let router = profile.router {
            service.tunIndex = try netlink.link(named: tun.name)?.index ?? 0
            var saved: HostLease?
            if let bytes = try? Files.read(service.directory.hostFile) {
                switch HostLease.decode(String(decoding: bytes, as: UTF8.self)) {
                case .success(let lease) where profile.allRouters.contains(where: { $0.publicKey == lease.router })
                    || lease.router == router.publicKey:
                    saved = lease
                case .success: log.warning("\(service.directory.hostFile): issued by another router; ignored")
                case .failure(let warning): log.warning("\(service.directory.hostFile): \(warning); ignored")
                }
            }
            service.client = HostLeaseClient(saved: saved, now: now)
            leases = service
            startHostRouterLeases(service)
            if let lease = service.client?.lease {
                configureLeasedAddress(lease.address, service: service)
                service.obtainedAfterStart = WallClock.now() - startedAt
                log.info("lease: \(lease.address) from the saved lease, valid for \(lease.expires - now) s")
            }
        }
    }

    /// A new session: a host asks for its address (with the one it holds: INIT-REBOOT).
    func leaseSessionEstablished(peer: Int) {
        leaseSyncSessionEstablished(peer: peer)
        hostRouterSessionEstablished(peer: peer)
        guard let service = leases, let client = service.client, peer == leaseRouter else { return }
        service.lastAssignSeq = 0
        sendLease(kind: .addressRequest, flags: client.request.flags, body: client.request.body, to: leaseRouter)
        service.client?.noteRequestSent(now: leaseNow)
    }

    /// A lease message (kinds 1-4) from `peer`; the body is valid only during the call and is parsed in place.
    func handleLease(peer: Int, kind: UInt8, flags: UInt8, body: UnsafeRawPointer, length: Int, now: UInt64) {
        let bytes = UnsafeRawBufferPointer(start: body, count: length)
        // The control header sits just before the body (PROTOCOL.md §14): its seq is the one ASSIGN answers.
        let seq = ControlHeader.read(from: body - ControlHeader.size, length: length + ControlHeader.size)?.seq ?? 0
        guard let service = leases else {
            if profile.role == .router, kind == LeaseMessageKind.addressRequest.rawValue {
                let refusal = AddressAssign.refusal(answering: seq, reason: .noPool)
                sendLease(kind: .addressAssign, flags: 0, body: refusal.body, to: peer)
            } else {
                engine.countControl(from: peer, unknown: true)
            }
            return
        }
        switch LeaseMessageKind(rawValue: kind) {
        case .addressRequest where service.table != nil:
            guard let request = AddressRequest(body: bytes, flags: flags) else { return leaseMalformed(peer, service) }
            let holding = request.items.item(ipv6: false)?.address
            if deferLeaseRequest(peer: peer, seq: seq, holding: holding, service: service) { return }  // +LeaseSync
            answerLease(peer: peer, seq: seq, service: service) { table, key, now in
                table.request(key: key, holding: holding, now: now)
            }
        case .addressRelease where service.table != nil:
            guard let release = AddressRelease(body: bytes) else { return leaseMalformed(peer, service) }
            guard let item = release.items.item(ipv6: false) else { return }
            answerLease(peer: peer, seq: seq, service: service) { table, key, now in
                table.release(key: key, address: item.address, now: now)
            }
        case .addressDecline where service.table != nil:
            guard let decline = AddressDecline(body: bytes) else { return leaseMalformed(peer, service) }
            log.warning("leases: peer \(engine.peers[peer].name) declines \(decline.item.address) (\(decline.reason))")
            answerLease(peer: peer, seq: seq, service: service) { table, key, now in
                table.decline(key: key, address: decline.item.address, now: now)
            }
        case .addressAssign where service.client != nil && peer != leaseRouter:
            handleOtherRouterAssign(peer: peer, body: bytes, service: service)
        case .addressAssign where service.client != nil && peer == leaseRouter:
            guard let assign = AddressAssign(body: bytes) else { return leaseMalformed(peer, service) }
            guard seq > service.lastAssignSeq else { return }  // older than one already applied
            service.lastAssignSeq = seq
            service.answers += 1
            applyAssign(assign, service: service)
        default:
            engine.countControl(from: peer, unknown: true)
        }
    }

    /// Runs the lease timers (called after every wake-up; does work at most once per wall-clock second).
    func leaseTick() {
        guard let service = leases else { return }
        let now = leaseNow
        guard now != service.lastTick else { return }
        service.lastTick = now
        if var table = service.table {
            let (expired, persistence) = table.expire(now: now)
            service.table = table
            for binding in expired {
                log.info("leases: \(binding.address) of \(peerName(binding.key)) expired")
                routeLease(binding.key, to: nil)
            }
            if persistence == .immediate || (service.pendingWriteAt.map { $0 <= now } ?? false) {
                try? writeLeaseTable(service)
            }
        }
        if var client = service.client {
            let (sendRequest, change) = client.tick(now: now)
            if sendRequest {
                sendLease(kind: .addressRequest, flags: client.request.flags, body: client.request.body, to: leaseRouter)
                client.noteRequestSent(now: now)
                service.otherRouters?.addressChanged(now: now)  // T1/T2: any of the routers renews
            }
            service.client = client
            apply(change, service: service)
            askOtherRouters(service)
        }
    }

    /// At stop: the router writes what is pending; a host releases its lease (waiting briefly for the ACK),
    /// removes the address and forgets the file, so `down` leaves nothing behind.
    func finishLeases() {
        guard let service = leases else { return }
        if service.table != nil, service.pendingWriteAt != nil { try? writeLeaseTable(service) }
        guard var client = service.client, let release = client.release else { return }
        sendLease(kind: .addressRelease, flags: 0, body: release.body, to: leaseRouter)
        let deadline = MonotonicClock.now() + LeaseService.releaseWaitNanoseconds
        while engine.pendingControlCount(of: 0) > 0 && MonotonicClock.now() < deadline {
            let now = MonotonicClock.now()
            engine.tick(now: now, into: out)
            flush()
            try? epoll.wait(timeoutMilliseconds: 10) { token in
                if token >= ForwardingCore.slotTokenBase { try drainSocket(slot: Int(token - ForwardingCore.slotTokenBase)) }
            }
            afterWake(now: MonotonicClock.now())
        }
        if let address = client.released() { unconfigureLeasedAddress(address, service: service) }
        service.client = client
        Files.remove(service.directory.hostFile)
        log.info("lease released")
    }

    // MARK: - Router

    func answerLease(peer: Int, seq: UInt32, service: LeaseService,
                             _ decide: (inout LeaseTable, Key32, UInt64) -> LeaseTable.Decision) {
        let key = engine.peers[peer].publicKey
        guard service.leaseKeys.contains(key), var table = service.table else {
            let refusal = AddressAssign.refusal(answering: seq, reason: .noPool)
            return sendLease(kind: .addressAssign, flags: 0, body: refusal.body, to: peer)
        }
        let now = leaseNow
        let before = table
        let decision = decide(&table, key, now)
        service.table = table
        switch decision.persistence {
        case .immediate:
            do {
                try writeLeaseTable(service)
            } catch {
                // Never answer what is not on disk: the host asks again, and the binding is undone.
                service.table = before
                return
            }
        case .coalesced:
            if service.pendingWriteAt == nil { service.pendingWriteAt = now + LeaseService.coalescingSeconds }
        case .none:
            break
        }
        routeLease(key, to: decision.address)
        if decision.reason == .poolExhausted {
            log.warning("leases: no address for peer \(engine.peers[peer].name): pool-exhausted (\(table.freeCount) free)")
        } else if decision.persistence == .immediate, let address = decision.address {
            log.info("leases: \(address) to peer \(engine.peers[peer].name) (\(decision.reason))")
        }
        var items = AddressItems()
        if let address = decision.address { _ = items.append(AddressItem(table.pool.interfaceAddress(address))) }
        let lease = UInt32(clamping: table.leaseSeconds)
        let assign = decision.address == nil
            ? AddressAssign.refusal(answering: seq, reason: decision.reason)
            : AddressAssign(answersSequence: seq, leaseSeconds: lease, renewSeconds: lease / 2,
                            rebindSeconds: lease / 8 * 7, reason: decision.reason, items: items)
        sendLease(kind: .addressAssign, flags: 0, body: assign.body, to: peer)
    }

    /// Routes `address` (a /32) to the peer holding `key` and lets it send from there; nil withdraws it.
    func routeLease(_ key: Key32, to address: IPAddress?) {
        leases?.routed[key] = address
        guard let peer = engine.peers.firstIndex(where: { $0.publicKey == key }) else { return }
        let prefixes = address.flatMap { IPNetwork(address: $0, prefixLength: $0.bitWidth) }.map { [$0] } ?? []
        engine.setDynamicPrefixes(prefixes, owner: .lease, peer: peer)
    }

    private func writeLeaseTable(_ service: LeaseService) throws {
        guard let table = service.table else { return }
        do {
            try Files.writeDurably(Array(LeaseFile.encode(table.bindings).utf8), to: service.directory.routerFile)
            service.pendingWriteAt = nil
        } catch {
            service.writeFailures += 1
            log.error("leases: cannot write \(service.directory.routerFile): \(error)")
            throw error
        }
    }

    func peerName(_ key: Key32) -> String {
        engine.peers.first { $0.publicKey == key }?.name ?? "a former peer"
    }

    // MARK: - Host

    private func applyAssign(_ assign: AddressAssign, service: LeaseService) {
        guard var client = service.client, profile.router != nil else { return }
        let now = leaseNow
        let change = client.receive(assign, now: now, router: engine.peers[leaseRouter].publicKey)
        if let granted = change.add, let reason = localConflict(granted, service: service),
           let decline = client.decline(reason, now: now) {
            service.client = client
            log.warning("lease: declining \(granted): \(reason) on this machine")
            sendLease(kind: .addressDecline, flags: 0, body: decline.body, to: leaseRouter)
            return apply(HostLeaseClient.Change(remove: change.remove, add: nil, persist: true), service: service)
        }
        service.client = client
        if client.lease != nil { hostLeaseGranted(service) }
        if let lease = client.lease {
            if change.add != nil {
                log.info("lease: \(lease.address) for \(assign.leaseSeconds) s (\(assign.reason))")
                if service.obtainedAfterStart == nil { service.obtainedAfterStart = WallClock.now() - startedAt }
            }
        } else {
            log.warning("lease: refused by the router: \(assign.reason)")
        }
        apply(change, service: service)
    }

    /// Whether `address` is configured on, or inside the network of, another interface of this machine.
    private func localConflict(_ address: IPNetwork, service: LeaseService) -> DeclineReason? {
        guard let addresses = try? netlink.addresses() else { return nil }
        let others = addresses.filter { $0.linkIndex != service.tunIndex && !$0.network.address.isIPv6 }.map(\.network)
        return HostLeaseClient.conflict(address.address, localAddresses: others)
    }

    func apply(_ change: HostLeaseClient.Change, service: LeaseService) {
        if let old = change.remove { unconfigureLeasedAddress(old, service: service) }
        if let new = change.add { configureLeasedAddress(new, service: service) }
        guard change.persist else { return }
        if let lease = service.client?.lease {
            do {
                try Files.writeDurably(Array(lease.fileText.utf8), to: service.directory.hostFile)
            } catch {
                service.writeFailures += 1
                log.error("lease: cannot write \(service.directory.hostFile): \(error)")
            }
        } else {
            Files.remove(service.directory.hostFile)
        }
    }

    private func configureLeasedAddress(_ address: IPNetwork, service: LeaseService) {
        guard service.configured != address else { return }
        do {
            try netlink.addAddress(address, linkIndex: service.tunIndex)
        } catch {
            log.error("lease: cannot add \(address) to \(tun.name): \(error)")
        }
        service.configured = address
        // Every router of a host on several routers may send from the virtual network (issue 16).
        for router in engine.peers.indices { engine.setDynamicPrefixes([address.masked], owner: .lease, peer: router) }
    }

    private func unconfigureLeasedAddress(_ address: IPNetwork, service: LeaseService) {
        try? netlink.deleteAddress(address, linkIndex: service.tunIndex)
        if service.configured == address { service.configured = nil }
        for router in engine.peers.indices { engine.setDynamicPrefixes([], owner: .lease, peer: router) }
        log.info("lease: \(address) removed from \(tun.name)")
    }

    // MARK: - Sending and counting

    private func sendLease(kind: LeaseMessageKind, flags: UInt8, body: [UInt8], to peer: Int) {
        do {
            try engine.sendControl(to: peer, kind: kind.rawValue, flags: flags, body: body, reliability: .reliable)
        } catch {
            log.warning("leases: cannot queue \(kind) for \(engine.peers[peer].name): \(error)")
        }
    }

    private func leaseMalformed(_ peer: Int, _ service: LeaseService) {
        service.malformed += 1
        engine.countControl(from: peer, unknown: false)
    }
}

// MARK: - Show and metrics

extension ForwardingCore {
    /// `show`'s virtual address of an `address: auto` host ("10.77.0.37/24 (auto)"), nil otherwise.
    var leasedAddressDescription: String? {
        guard profile.interface.addressIsAuto else { return nil }
        return leases?.client?.lease.map { "\($0.address) (auto)" } ?? "auto (none yet)"
    }

    /// The `leases` part of the status report, or nil without a lease service.
    func leaseReport() -> LeaseReport? {
        guard let service = leases else { return nil }
        var report = LeaseReport()
        report.malformed = service.malformed
        report.writeFailures = service.writeFailures
        let now = Double(WallClock.now())
        if let table = service.table, let settings = profile.addressPool {
            report.pool = settings.prefix.description
            report.allocate = settings.allocate.description
            report.free = table.freeCount
            report.bound = table.count(.bound)
            report.hold = table.count(.hold)
            report.declined = table.count(.declined)
            report.exhaustedRefusals = table.exhaustedRefusals
            report.table = table.bindings.map { binding in
                let peer = engine.peers.first { $0.publicKey == binding.key }?.name ?? "-"
                var entry = LeaseEntry(address: binding.address.description, peer: peer, publicKey: binding.key.base64,
                                       state: binding.state.rawValue, expiresIn: Double(binding.expires) - now,
                                       allocator: binding.allocator)
                if binding.allocator != table.allocator { entry.synced = binding.allocator }
                if binding.provisional { entry.provisional = true }
                return entry
            }
            report.sync = leaseSyncReport()
        }
        if let client = service.client {
            var host = HostLeaseReport()
            if let lease = client.lease {
                host.address = lease.address.description
                host.renewIn = Double(lease.renewAt) - now
                host.rebindIn = Double(lease.rebindAt) - now
                host.expiresIn = Double(lease.expires) - now
            }
            host.obtainedAfterStart = service.obtainedAfterStart
            host.answers = service.answers
            host.lastRefusal = client.lastRefusal?.description
            host.routers = hostRouterReports()
            report.host = host
        }
        return report
    }
}

extension MetricsRenderer {
    /// The lease gauges and counters: `mlink_leases{state}`, `mlink_pool_free`, `mlink_lease_refusals_total`
    /// on a router; `mlink_lease_expiry_seconds` on a host.
    static func renderLeases(_ report: StatusReport, into out: inout MetricsText) {
        guard let leases = report.leases else { return }
        let interface = [("interface", report.interface)]
        if leases.pool != nil {
            out.family("mlink_leases", .gauge, "Bindings of the router's lease table, by state.")
            for (state, count) in [("bound", leases.bound), ("hold", leases.hold), ("declined", leases.declined)] {
                out.sample("mlink_leases", interface + [("state", state)], Double(count))
            }
            out.family("mlink_pool_free", .gauge, "Addresses of the pool's allocate range without any binding.")
            out.sample("mlink_pool_free", interface, Double(leases.free))
            out.family("mlink_lease_refusals_total", .counter, "Address requests refused, by reason.")
            out.sample("mlink_lease_refusals_total", interface + [("reason", "pool-exhausted")],
                       Double(leases.exhaustedRefusals))
        }
        if let host = leases.host {
            out.family("mlink_lease_expiry_seconds", .gauge, "Seconds until the host's lease expires; 0 without one.")
            out.sample("mlink_lease_expiry_seconds", interface, max(0, host.expiresIn ?? 0))
            out.family("mlink_lease_answers_total", .counter, "ASSIGNs from the router applied (grants, renewals, refusals).")
            out.sample("mlink_lease_answers_total", interface, Double(host.answers))
        }
        out.family("mlink_lease_malformed_total", .counter, "Malformed lease messages received.")
        out.sample("mlink_lease_malformed_total", interface, Double(leases.malformed))
        renderLeaseSync(report, into: &out)
    }
}
