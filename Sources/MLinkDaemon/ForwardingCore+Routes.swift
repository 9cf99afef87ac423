import MLinkConfig
import MLinkControl
import MLinkNetlink
import MLinkProtocol
import MLinkRoutes
import MLinkSystem
import MLinkTypes

/// What the core keeps for virtual routing (issue 13, docs/ROUTING.md). The decisions are MLinkRoutes' (pure);
/// this is the state between messages and what is in the kernel.
final class RouteAgent {
    /// How often a host re-reads its own routes (`while-route`) and networks (the capture guard); a netlink
    /// notification makes the next check immediate.
    static let hostCheckInterval: UInt64 = 1_000_000_000
    /// How often a router looks for preemptions whose hold-down passed.
    static let electionInterval: UInt64 = 100_000_000

    /// One peer's last announcement as the router judged it.
    struct PeerAnnouncement {
        var generation: UInt32
        var items: [RoutePrefixItem]
        var verdicts: [RouteVerdict]
    }

    var tunIndex: Int32?
    var nextCheck: UInt64 = 0
    /// Host: distributed routes in the kernel. Router: active announced prefixes in the kernel.
    var installed: Set<IPNetwork> = []

    // Host
    var announceGeneration: UInt32
    var sentAnnouncement: [RoutePrefixItem]?
    var sentGeneration: UInt32 = 0
    /// The router's verdicts on `sentAnnouncement` (wire values), once it answered.
    var verdicts: [UInt8]?
    var assembler = RouteTableAssembler()
    var table: [RoutePrefixItem] = []
    var decisions: [RouteDecision] = []

    // Router
    var election: SharedPrefixElection
    let authorizer: RouteAuthorizer
    var announcements: [Int: PeerAnnouncement] = [:]
    var gates: [Int: GenerationGate] = [:]
    var tableGeneration: UInt32
    var sentTables: [Int: [RoutePrefixItem]] = [:]
    var sentStatus: [Int: [RouteVerdict]] = [:]
    var dynamic: [Int: [IPNetwork]] = [:]
    /// The /32 (/128) of each live host in the kernel, by peer.
    var hostRoutes: [Int: [IPNetwork]] = [:]
    /// The metric of each host's /32s where it is not the kernel's default (ForwardingCore+HostMetric.swift).
    var hostRouteMetrics: [Int: UInt32?] = [:]
    var refused: [String: UInt64] = [:]

    init(profile: Profile, peerKeys: [Key32], unixMilliseconds: UInt64) {
        announceGeneration = SerialGeneration.initial(unixMilliseconds: unixMilliseconds)
        tableGeneration = announceGeneration
        // The tie-break between equal preferences: the peers' public keys (in base64 order), stable across profile
        // edits that reorder the peers.
        let order = peerKeys.indices.sorted { peerKeys[$0].base64 < peerKeys[$1].base64 }
        var ranks = Array(repeating: 0, count: peerKeys.count)
        for (rank, peer) in order.enumerated() { ranks[peer] = rank }
        election = SharedPrefixElection(ranks: ranks, holdDown: UInt64(profile.routes.preemptDelaySeconds) * 1_000_000_000)
        authorizer = RouteAuthorizer(maximumRoutesPerPeer: profile.routes.maximumRoutesPerPeer)
    }
}

/// The daemon's half of virtual routing: control kinds 5-8 in and out, the engine's dynamic prefixes, and the
/// routes in the kernel's main table (protocol 109, default metric, no rule ahead of main), so BIRD and FRR see
/// them. Every kernel route goes through the TUN device, so it also goes with the device when the core dies.
///
/// Host: sends its announcement set (after `while-route`) on every new session and whenever it changes; shows the
/// router's verdicts; installs the accepted part of the router's table. Router: judges announcements, elects the
/// primary of each prefix, routes it (engine and kernel), answers ROUTE_STATUS, sends each host its ROUTE_TABLE
/// when it changes, keeps a /32 (/128) per live host in the kernel, and fails a prefix over on bundle down.
extension ForwardingCore {
    // MARK: Dispatch (hooks: handleControl, afterWake, runTimers, handleLinkChanges)

    /// A route message from `peer`; false when `kind` is not one of 5-8.
    func handleRouteMessage(peer: Int, kind: UInt8, body: UnsafeRawPointer, length: Int, now: UInt64) -> Bool {
        guard kind >= RouteMessageKind.announce && kind <= RouteMessageKind.preferred else { return false }
        let raw = UnsafeRawBufferPointer(start: body, count: length)
        var wellFormed = true
        switch (profile.role, kind) {
        case (.router, RouteMessageKind.announce):
            if let message = RouteAnnounce(body: raw) { receiveAnnouncement(message, from: peer, now: now) } else { wellFormed = false }
        case (.router, RouteMessageKind.preferred):
            if let message = PreferredRouter(body: raw) { notePreferred(message.isPreferred, from: peer) } else { wellFormed = false }
        case (.host, RouteMessageKind.status):
            if let message = RouteStatus(body: raw) { receiveStatus(message) } else { wellFormed = false }
        case (.host, RouteMessageKind.table):
            if let part = RouteTablePart(body: raw) { receiveTablePart(part, now: now) } else { wellFormed = false }
        default:
            wellFormed = false  // a kind that never goes this way
        }
        if !wellFormed { engine.countControl(from: peer, unknown: false) }
        return true
    }

    /// An engine event, for routing's part.
    func handleRouteEvent(_ event: TunnelEngine.Event, now: UInt64) {
        switch (profile.role, event) {
        case (.host, .sessionEstablished):
            routeAgent.assembler.reset()
            sendAnnouncement(force: true)
            if engine.peers.count == 1 {  // with several routers the engine sends it (TunnelEngine+Routers.swift)
                _ = try? engine.sendControl(to: 0, kind: RouteMessageKind.preferred, body: PreferredRouter.encode(isPreferred: true),
                                        reliability: .fullState)
            }
        case (.router, .sessionEstablished(let peer)):
            routeAgent.gates[peer]?.reset()
            routeAgent.sentTables[peer] = nil
            routeAgent.sentStatus[peer] = nil
            applyRouterState(now: now)
        case (.router, .bundleUp(let peer)):
            setHostRoutes(of: peer, live: true)
            if let announcement = routeAgent.announcements[peer] {
                routeAgent.election.setAnnouncements(accepted(announcement), of: peer, now: now)
            }
            applyRouterState(now: now)
        case (.router, .bundleDown(let peer)):
            setHostRoutes(of: peer, live: false)
            let moved = routeAgent.election.removePeer(peer, now: now)
            for prefix in moved {
                let to = routeAgent.election.primary(for: prefix).map { engine.peers[$0].name } ?? "nobody"
                log.info("route \(prefix): \(engine.peers[peer].name) is down, now via \(to)")
            }
            applyRouterState(now: now)
        default:
            break
        }
    }

    /// Timer work: a host's while-route and capture checks, a router's preemptions. Cheap when nothing is due.
    func runRouteTimers(now: UInt64) {
        guard now >= routeAgent.nextCheck else { return }
        switch profile.role {
        case .host:
            routeAgent.nextCheck = now + RouteAgent.hostCheckInterval
            sendAnnouncement(force: false)
            applyTable()
        case .router:
            routeAgent.nextCheck = now + RouteAgent.electionInterval
            let changed = routeAgent.election.tick(now: now)
            if !changed.isEmpty {
                for prefix in changed {
                    let to = routeAgent.election.primary(for: prefix).map { engine.peers[$0].name } ?? "nobody"
                    log.info("route \(prefix): preferred host \(to) took it back after the hold-down")
                }
                applyRouterState(now: now)
            }
        }
    }

    /// Links, addresses or routes changed: a host checks its announcements and guard at the next timer run.
    func noteRouteEnvironmentChanged() {
        if profile.role == .host { routeAgent.nextCheck = 0 }
    }

    // MARK: Host

    /// Sends the announcement set as it stands (after `while-route`), if it changed or `force`.
    func sendAnnouncement(force: Bool) {
        let announce = profile.routes.announce
        guard !announce.isEmpty || force else { return }
        let own = announce.contains { $0.whileRoute } ? ownRoutes() : []
        let items = announce.filter { !$0.whileRoute || own.contains(where: $0.prefix.overlaps) }.map {
            RoutePrefixItem(prefix: $0.prefix, preference: $0.preference,
                            flags: $0.whileRoute ? RoutePrefixItem.whileRouteFlag : 0)
        }
        if !force, items == routeAgent.sentAnnouncement { return }
        routeAgent.announceGeneration &+= 1
        routeAgent.sentGeneration = routeAgent.announceGeneration
        if let previous = routeAgent.sentAnnouncement, previous != items {
            let gone = previous.filter { !items.contains($0) }.map(\.description)
            let new = items.filter { !previous.contains($0) }.map(\.description)
            log.info("announcing \(items.map(\.description).joined(separator: ", "))"
                     + (gone.isEmpty ? "" : "; withdrawn \(gone.joined(separator: ", "))")
                     + (new.isEmpty ? "" : "; new \(new.joined(separator: ", "))"))
        }
        routeAgent.sentAnnouncement = items
        routeAgent.verdicts = nil
        do {
            try engine.sendControl(to: 0, kind: RouteMessageKind.announce,
                                   body: RouteAnnounce.encode(generation: routeAgent.sentGeneration, items: items),
                                   reliability: .fullState)
        } catch {
            log.warning("cannot queue the route announcement: \(error)")
        }
    }

    /// The networks this host reaches without mlink: every unicast route not through the TUN and not mlink's own,
    /// except default routes (which would make every `while-route` prefix "reachable").
    func ownRoutes() -> [IPNetwork] {
        guard let routes = try? netlink.routes(table: nil) else { return [] }
        let tunIndex = tunDeviceIndex()
        return routes.filter {
            $0.destination.prefixLength > 0 && $0.outputLinkIndex != tunIndex
                && $0.protocolNumber != profile.routing.routeProtocol && $0.protocolNumber != RouteProtocol.mlink
        }.map(\.destination)
    }

    func receiveStatus(_ status: RouteStatus) {
        guard let sent = routeAgent.sentAnnouncement, status.generation == routeAgent.sentGeneration,
              status.count == sent.count else { return }  // stale: answers an announcement since replaced
        let verdicts = (0..<status.count).map(status.verdict(at:))
        guard verdicts != routeAgent.verdicts else { return }
        for (item, verdict) in zip(sent, verdicts) where verdict > RouteVerdict.standby.rawValue {
            log.warning("the router refused announcement \(item.prefix): \(RouteVerdict.name(ofWireValue: verdict))")
        }
        routeAgent.verdicts = verdicts
    }

    func receiveTablePart(_ part: RouteTablePart, now: UInt64) {
        guard let table = routeAgent.assembler.add(part) else { return }
        routeAgent.table = table
        // The router may send from all of them, installed here or not (fail closed, no asymmetric drops).
        engine.setDynamicPrefixes(table.map(\.prefix), owner: .distributed, peer: 0)
        applyTable()
    }

    /// Decides on every distributed route (policy, capture guard) and brings the kernel in line.
    func applyTable() {
        guard !routeAgent.table.isEmpty || !routeAgent.installed.isEmpty else { return }
        let surroundings = hostSurroundings()
        let decisions = routeAgent.table.map {
            profile.routes.acceptance.decide($0.prefix, surroundings: surroundings)
        }
        if decisions != routeAgent.decisions {
            for (item, decision) in zip(routeAgent.table, decisions) where decision != .install {
                log.info("distributed route \(item.prefix): \(decision)")
            }
        }
        routeAgent.decisions = decisions
        let wanted = Set(zip(routeAgent.table, decisions).filter { $0.1 == .install }.map(\.0.prefix))
        syncKernelRoutes(wanted: wanted, installed: &routeAgent.installed)
    }

    /// The host's connected networks (without the TUN), its links' gateways and the router's endpoints.
    func hostSurroundings() -> HostSurroundings {
        let links = (try? netlink.links()) ?? []
        let names = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        let tunIndex = tunDeviceIndex()
        let connected = ((try? netlink.addresses()) ?? []).filter { $0.linkIndex != tunIndex && !$0.isLinkLocal }.map {
            HostSurroundings.Connected(network: $0.network, interface: names[$0.linkIndex] ?? "if\($0.linkIndex)")
        }.filter { !$0.network.address.isLoopbackAddress }
        return HostSurroundings(connected: connected, gateways: linkGateways(names: names),
                                endpoints: routerAddresses.map(\.address))
    }

    /// Gateways of the main table's routes out of our links.
    func linkGateways(names: [Int32: String]) -> [(address: IPAddress, interface: String)] {
        let indexes = Set(slots.compactMap { $0?.link.index })
        let routes = (try? netlink.routes(table: 254)) ?? []
        return routes.compactMap { route in
            guard let gateway = route.gateway, let index = route.outputLinkIndex, indexes.contains(index) else { return nil }
            return (gateway, names[index] ?? "if\(index)")
        }
    }

    // MARK: Router

    func receiveAnnouncement(_ message: RouteAnnounce, from peer: Int, now: UInt64) {
        var gate = routeAgent.gates[peer] ?? GenerationGate()
        let admitted = gate.admit(message.generation)
        routeAgent.gates[peer] = gate
        guard admitted else { return }
        let items = Array(message.items)
        let allowed = profile.peers[peer].allowedRoutes.map(\.route)
        let verdicts = routeAgent.authorizer.verdicts(for: items.map(\.prefix), peer: peer, allowed: allowed,
                                                      surroundings: routerSurroundings())
        let name = engine.peers[peer].name
        for (item, verdict) in zip(items, verdicts) where !verdict.isAccepted {
            routeAgent.refused[verdict.reason, default: 0] += 1
            log.warning("peer \(name) announces \(item.prefix): refused (\(verdict.reason))")
        }
        let announcement = RouteAgent.PeerAnnouncement(generation: message.generation, items: items, verdicts: verdicts)
        routeAgent.announcements[peer] = announcement
        routeAgent.sentStatus[peer] = nil  // a new generation is always answered
        if engine.peers[peer].bundleIsUp {
            routeAgent.election.setAnnouncements(accepted(announcement), of: peer, now: now)
        }
        applyRouterState(now: now)
    }

    /// The accepted items of an announcement, for the election.
    func accepted(_ announcement: RouteAgent.PeerAnnouncement) -> [(prefix: IPNetwork, preference: UInt8)] {
        zip(announcement.items, announcement.verdicts).filter { $0.1.isAccepted }.map { ($0.0.prefix, $0.0.preference) }
    }

    /// After any change: the engine's routes, the kernel's, each host's ROUTE_STATUS and ROUTE_TABLE.
    func applyRouterState(now: UInt64) {
        let active = routeAgent.election.activeRoutes
        for peer in engine.peers.indices {
            let prefixes = active.filter { $0.peer == peer }.map(\.prefix)
            if prefixes != (routeAgent.dynamic[peer] ?? []) {
                routeAgent.dynamic[peer] = prefixes
                engine.setDynamicPrefixes(prefixes, owner: .announcement, peer: peer)
            }
        }
        syncKernelRoutes(wanted: Set(active.map(\.prefix)), installed: &routeAgent.installed)
        for (peer, announcement) in routeAgent.announcements where engine.peers[peer].session != nil {
            let verdicts = zip(announcement.items, announcement.verdicts).map { item, verdict in
                verdict.isAccepted ? routeAgent.election.verdict(for: item.prefix, peer: peer) : verdict
            }
            guard verdicts != routeAgent.sentStatus[peer] else { continue }
            routeAgent.sentStatus[peer] = verdicts
            try? engine.sendControl(to: peer, kind: RouteMessageKind.status,
                                    body: RouteStatus.encode(generation: announcement.generation, verdicts: verdicts),
                                    reliability: .fullState)
        }
        for peer in engine.peers.indices where engine.peers[peer].session != nil && !engine.peers[peer].isRouter {  // routers: BGP
            let own = Set(routeAgent.announcements[peer]?.items.map(\.prefix) ?? [])
            let table = RouteDistribution.table(for: peer, active: active, ownAnnouncements: own,
                                                pushRoutes: profile.routes.pushRoutes + importedForDistribution)
            guard table != routeAgent.sentTables[peer] else { continue }
            routeAgent.sentTables[peer] = table
            routeAgent.tableGeneration &+= 1
            let parts = RouteTablePart.encode(generation: routeAgent.tableGeneration, items: table)
            for body in parts {
                do {
                    try engine.sendControl(to: peer, kind: RouteMessageKind.table, body: body,
                                           reliability: parts.count == 1 ? .fullState : .reliable)
                } catch {
                    log.warning("cannot queue the route table for \(engine.peers[peer].name): \(error)")
                    routeAgent.sentTables[peer] = nil  // try again at the next change
                    break
                }
            }
        }
    }

    /// What no announcement may capture: the router's link networks and gateways, the virtual network, the hosts.
    func routerSurroundings() -> RouterSurroundings {
        let links = slots.compactMap { $0?.link }
        let names = Dictionary(((try? netlink.links()) ?? []).map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
        var hosts: [(peer: Int, prefix: IPNetwork)] = []
        for (index, peer) in engine.peers.enumerated() {
            for prefix in peer.allowedIPs + (peer.dynamicPrefixes[.lease] ?? []) { hosts.append((index, prefix)) }
        }
        return RouterSurroundings(linkNetworks: links.map(\.network),
                                  gateways: linkGateways(names: names).map(\.address),
                                  endpoints: [], virtualNetworks: [profile.interface.address.masked],
                                  hostPrefixes: hosts)
    }

    /// Adds or removes, as the host's bundle comes up and goes down, the kernel's proto-109 route for each of its
    /// addresses inside the interface's connected network: its leased /32 (/128) and its static `allowed-ips` there.
    /// So routing daemons (BIRD's `learn`, zebra) see which hosts are live, and drop a host that died within the
    /// bundle's detection time. Without these routes the connected route still carries the traffic into the TUN,
    /// where a packet for a host that is down waits for its session or is dropped and counted: nothing leaks. A
    /// static prefix outside the connected network is `up`'s, for as long as the interface exists (SetupPlan).
    func setHostRoutes(of peer: Int, live: Bool) {
        var installed = Set(routeAgent.hostRoutes[peer] ?? [])
        var wanted = Set<IPNetwork>()
        if live {
            let leased = (engine.peers[peer].dynamicPrefixes[.lease] ?? [])
                .filter { $0.prefixLength == $0.address.bitWidth }.map(\.masked)
            let connected = profile.interface.address.masked
            let statics = profile.peers.indices.contains(peer)
                ? profile.peers[peer].allowedIPs.map(\.masked).filter { connected.covers($0) && $0 != connected } : []
            wanted = Set(leased + statics)
        }
        syncKernelRoutes(wanted: wanted, installed: &installed, metric: hostRouteMetric(of: peer))
        routeAgent.hostRoutes[peer] = installed.isEmpty ? nil : Array(installed)
    }

    // MARK: Kernel

    /// The TUN device's index (looked up once).
    func tunDeviceIndex() -> Int32? {
        if routeAgent.tunIndex == nil { routeAgent.tunIndex = (try? netlink.link(named: tun.name))??.index }
        return routeAgent.tunIndex
    }

    /// Adds the routes of `wanted` missing from `installed` and removes the others: main table, through the TUN,
    /// protocol `routing.route-protocol` (109), the kernel's default metric unless `metric` (ForwardingCore+HostMetric:
    /// an IPv4 metric; IPv6 routes get 1024, their default, plus it).
    func syncKernelRoutes(wanted: Set<IPNetwork>, installed: inout Set<IPNetwork>, metric: UInt32? = nil) {
        guard wanted != installed, let index = tunDeviceIndex() else { return }
        let proto = profile.routing.routeProtocol
        for prefix in installed.subtracting(wanted).sorted(by: PrefixOrder.less) {
            do {
                try netlink.deleteRoute(Route(destination: prefix, outputLinkIndex: index, protocolNumber: proto,
                                              metric: metric.map { prefix.address.isIPv6 ? 1024 + $0 : $0 }))
                log.info("[#] ip route del \(prefix) dev \(tun.name) proto \(proto)" + (metric.map { " metric \($0)" } ?? ""))
            } catch {
                log.warning("cannot remove route \(prefix): \(error)")
            }
            installed.remove(prefix)
        }
        for prefix in wanted.subtracting(installed).sorted(by: PrefixOrder.less) {
            do {
                try netlink.addRoute(Route(destination: prefix, outputLinkIndex: index, protocolNumber: proto,
                                           metric: metric.map { prefix.address.isIPv6 ? 1024 + $0 : $0 }))
                log.info("[#] ip route add \(prefix) dev \(tun.name) proto \(proto)" + (metric.map { " metric \($0)" } ?? ""))
                installed.insert(prefix)
            } catch let error as NetlinkError where error.code == .fileExists {
                installed.insert(prefix)
            } catch {
                log.warning("cannot add route \(prefix) dev \(tun.name): \(error)")
            }
        }
    }

    // MARK: Show

    /// The routing part of the status report; nil when this profile neither announces, accepts, pushes nor allows.
    func routesReport() -> RoutesReport? {
        var report = RoutesReport()
        let proto = profile.routing.routeProtocol
        switch profile.role {
        case .host:
            guard !profile.routes.announce.isEmpty || !routeAgent.table.isEmpty else { return nil }
            let sent = routeAgent.sentAnnouncement ?? []
            for announcement in profile.routes.announce {
                var verdict = "withdrawn"
                if let index = sent.firstIndex(where: { $0.prefix == announcement.prefix }) {
                    verdict = routeAgent.verdicts.map { RouteVerdict.name(ofWireValue: $0[index]) } ?? "pending"
                }
                if RouteVerdict.allCases.contains(where: { $0.reason == verdict && !$0.isAccepted }) {
                    report.refused[verdict, default: 0] += 1
                }
                report.announcements.append(AnnouncementReport(
                    prefix: announcement.prefix.description, preference: Int(announcement.preference),
                    whileRoute: announcement.whileRoute, verdict: verdict))
            }
            for (item, decision) in zip(routeAgent.table, routeAgent.decisions) {
                report.distributed.append(DistributedRouteReport(
                    prefix: item.prefix.description, pushed: item.flags & RoutePrefixItem.pushedFlag != 0,
                    installed: decision == .install, reason: decision.reason, detail: decision.description))
            }
            report.active = routeAgent.installed.count
        case .router:
            let configured = !profile.routes.pushRoutes.isEmpty || profile.peers.contains { !$0.allowedRoutes.isEmpty }
            guard configured || !routeAgent.announcements.isEmpty || !routeAgent.hostRoutes.isEmpty else { return nil }
            for (peer, announcement) in routeAgent.announcements.sorted(by: { $0.key < $1.key }) {
                let live = engine.peers[peer].bundleIsUp
                for (item, verdict) in zip(announcement.items, announcement.verdicts) {
                    let shown = verdict.isAccepted ? (live ? routeAgent.election.verdict(for: item.prefix, peer: peer).reason
                                                           : "down") : verdict.reason
                    report.announcements.append(AnnouncementReport(
                        peer: engine.peers[peer].name, prefix: item.prefix.description,
                        preference: Int(item.preference), whileRoute: item.flags & RoutePrefixItem.whileRouteFlag != 0,
                        verdict: shown))
                }
            }
            for route in routeAgent.election.activeRoutes {
                let standbys = routeAgent.election.candidates(for: route.prefix).filter { $0.peer != route.peer }
                report.shared.append(SharedPrefixReport(
                    prefix: route.prefix.description, primary: engine.peers[route.peer].name,
                    standbys: standbys.map { engine.peers[$0.peer].name },
                    failovers: routeAgent.election.entries[route.prefix]?.failovers ?? 0))
            }
            report.refused = routeAgent.refused
            report.failovers = routeAgent.election.failovers
            report.active = routeAgent.installed.count
        }
        let hostRoutes = routeAgent.hostRoutes.values.flatMap { $0 }
        report.kernel = (Array(routeAgent.installed) + hostRoutes).sorted(by: PrefixOrder.less).map {
            "\($0) dev \(tun.name) proto \(proto)"
        }
        return report
    }
}

extension IPAddress {
    /// 127.0.0.0/8 or ::1.
    var isLoopbackAddress: Bool {
        isIPv6 ? (high == 0 && low == 1) : (ipv4Value >> 24 == 127)
    }
}

extension MetricsRenderer {
    /// `mlink_routes_active`, `mlink_routes_refused_total{reason}`, `mlink_route_failovers_total`,
    /// `mlink_routes_distributed{status}` (a host's installed and skipped distributed routes).
    static func renderRoutes(_ report: StatusReport, into out: inout MetricsText) {
        guard let routes = report.routes else { return }
        let interface = report.interface
        out.family("mlink_routes_active", .gauge,
                   "Router: announced prefixes routed to their primary host. Host: distributed routes installed.")
        out.sample("mlink_routes_active", [("interface", interface)], Double(routes.active))
        out.family("mlink_routes_refused_total", .counter,
                   "Router: announcements refused since start, by reason. Host: its announcements the router refuses now.")
        for reason in RouteVerdict.allCases where !reason.isAccepted {
            out.sample("mlink_routes_refused_total", [("interface", interface), ("reason", reason.reason)],
                       Double(routes.refused[reason.reason] ?? 0))
        }
        out.family("mlink_route_failovers_total", .counter, "Router: changes of a shared prefix's primary host.")
        out.sample("mlink_route_failovers_total", [("interface", interface)], Double(routes.failovers))
        out.family("mlink_routes_distributed", .gauge, "Host: distributed routes by what the host did with them.")
        for status in ["installed", "skipped"] {
            let count = routes.distributed.filter { $0.installed == (status == "installed") }.count
            out.sample("mlink_routes_distributed", [("interface", interface), ("status", status)], Double(count))
        }
    }
}

extension ForwardingCore {
    /// A host that stops withdraws its announcements at once (an empty ROUTE_ANNOUNCE, sent once on every
    /// connection), so the router need not wait for the bundle to fall silent. A lost copy costs only that wait.
    func withdrawRoutesAtStop() {
        guard profile.role == .host, let sent = routeAgent.sentAnnouncement, !sent.isEmpty else { return }
        routeAgent.announceGeneration &+= 1
        let body = RouteAnnounce.encode(generation: routeAgent.announceGeneration, items: [])
        guard (try? engine.sendControl(to: 0, kind: RouteMessageKind.announce, body: body, reliability: .fullState)) != nil
        else { return }
        let now = MonotonicClock.now()
        engine.flushControl(now: now, into: out)
        flush()
    }
}
