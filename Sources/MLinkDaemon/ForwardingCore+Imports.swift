import MLinkConfig
import MLinkControl
import MLinkNetlink
import MLinkProtocol
import MLinkRoutes
import MLinkSystem
import MLinkTypes

/// The import of routes between routers (issue 16 item 2, docs/ROUTING.md "Several routers"): what the core keeps
/// between netlink notifications. Exists on a router with at least one `role: router` peer.
final class ImportAgent {
    var importer: RouteImporter
    /// The prefixes handed to the engine per router peer (`setDynamicPrefixes(owner: .imported)`).
    var applied: [Int: [IPNetwork]] = [:]
    /// The imported prefixes outside the virtual network, which the hosts get in their ROUTE_TABLE.
    var distributed: [IPNetwork] = []

    init(importer: RouteImporter) { self.importer = importer }
}

/// Reading routes back from the kernel: BIRD (or FRR, or an admin) installs the routes it learned over iBGP as
/// `PREFIX via ROUTER-VIP dev ml-rN proto bird`; the core mirrors the main table (one dump at start, then the
/// route monitor's notifications, a new dump when the kernel dropped some) and hands the routes `RouteImporter`
/// accepts to the engine as the router peer's dynamic prefixes, so the engine seals packets for them to that peer
/// and accepts those sources from it. A withdrawal (BGP, BFD) removes the kernel route and so the import within the
/// monitor's latency (one loop turn). Refusals are counted by reason and logged once.
extension ForwardingCore {
    /// The engine indices of the `role: router` peers (a router's peers are the engine's, in profile order).
    var routerPeerIndices: [Int] {
        guard profile.role == .router else { return [] }
        return profile.peers.indices.filter { profile.peers[$0].role == .router }
    }

    /// Creates the importer and reads the main table once (hook of `runTimers`: the TUN exists and the monitor is
    /// subscribed, so nothing between the dump and the first notification is lost).
    func startImportsIfNeeded() {
        guard importAgent == nil, !routerPeerIndices.isEmpty, let tunIndex = tunDeviceIndex() else { return }
        let own: Set<UInt8> = [RouteProtocol.mlink, profile.routing.routeProtocol]
        importAgent = ImportAgent(importer: RouteImporter(tunIndex: tunIndex, ownProtocols: own,
                                                          bounds: importBounds(), surroundings: importSurroundings()))
        log.info("importing routes via router peers \(routerPeerIndices.map { engine.peers[$0].name }.joined(separator: ", ")) from the main table")
        reloadImports()
    }

    /// A full dump of the main table replaces the mirror.
    func reloadImports() {
        guard let agent = importAgent else { return }
        do {
            let routes = try netlink.routes(inTable: 254)
            applyImports(agent.importer.replaceAll(routes.compactMap(\.importEntry)))
        } catch {
            log.warning("cannot read the main table for imports: \(error)")
        }
    }

    /// Netlink events (hook of `handleLinkChanges`): route changes in the main table update the mirror; lost
    /// events (the monitor's sentinel) mean a new dump; link or address changes re-judge against the new links.
    func noteImportEvents(_ events: [NetlinkEvent]) {
        guard let agent = importAgent else { return }
        if events.contains(.linkRemoved(index: 0, name: "")) {
            _ = agent.importer.update(bounds: importBounds(), surroundings: importSurroundings())
            reloadImports()
            return
        }
        var changed = Set<Int>()
        for event in events {
            switch event {
            case .routeAdded(let route) where route.table == 254:
                if let entry = route.importEntry { changed.formUnion(agent.importer.add(entry)) }
            case .routeRemoved(let route) where route.table == 254:
                if let entry = route.importEntry { changed.formUnion(agent.importer.remove(entry)) }
            default:
                break
            }
        }
        if events.contains(where: \.changesLinks) {
            changed.formUnion(agent.importer.update(bounds: importBounds(), surroundings: importSurroundings()))
        }
        applyImports(changed)
    }

    /// Hands the imports of the peers in `changed` to the engine, and logs what changed and each new refusal.
    func applyImports(_ changed: Set<Int>) {
        guard let agent = importAgent else { return }
        for (route, reason) in agent.importer.takeNewRefusals() {
            log.warning("import of \(route.destination) via \(route.gateway.map(\.description) ?? "-") (proto "
                        + "\(RouteProtocol.name(of: route.protocolNumber))) refused: \(reason)")
        }
        for peer in changed.sorted() {
            let prefixes = agent.importer.prefixes(of: peer)
            let before = Set(agent.applied[peer] ?? [])
            agent.applied[peer] = prefixes.isEmpty ? nil : prefixes
            engine.setDynamicPrefixes(prefixes, owner: .imported, peer: peer)
            let added = prefixes.filter { !before.contains($0) }
            let removed = before.subtracting(prefixes).sorted(by: PrefixOrder.less)
            let name = engine.peers[peer].name
            if added.count + removed.count <= 16 {
                for prefix in added { log.info("imported \(prefix) via \(name)") }
                for prefix in removed { log.info("no longer imported: \(prefix) via \(name)") }
            } else {
                log.info("imports via \(name): \(added.count) new, \(removed.count) gone, \(prefixes.count) in all")
            }
        }
        guard !changed.isEmpty else { return }
        let virtualNetwork = profile.interface.address.masked
        let distributed = agent.applied.values.flatMap { $0 }.filter { !virtualNetwork.covers($0) }
            .sorted(by: PrefixOrder.less)
        if distributed != agent.distributed {
            agent.distributed = distributed
            applyRouterState(now: MonotonicClock.now())
        }
    }

    /// The imports the hosts get in their ROUTE_TABLE (hook of `applyRouterState`): LANs behind other routers'
    /// hosts. Host /32s of the virtual network stay out: the hosts' TUN route to the virtual network covers them.
    var importedForDistribution: [IPNetwork] { importAgent?.distributed ?? [] }

    /// Each router peer's bound: its static `allowed-ips` (where its virtual address lies) and `allowed-routes`.
    func importBounds() -> [ImportBound] {
        routerPeerIndices.map {
            ImportBound(peer: $0, addresses: profile.peers[$0].allowedIPs,
                        allowed: profile.peers[$0].allowedRoutes.map(\.route))
        }
    }

    /// What no import may capture: this router's link networks and gateways, its router peers' endpoints (those
    /// written as addresses) and its own virtual address.
    func importSurroundings() -> RouterSurroundings {
        var around = routerSurroundings()
        around.endpoints = routerPeerIndices.flatMap { profile.peers[$0].endpoints.compactMap(\.literalAddress) }
            + [profile.interface.address.address]
        return around
    }

    // MARK: Show

    /// The imports part of the status report; nil without router peers.
    func importsReport() -> ImportsReport? {
        guard !routerPeerIndices.isEmpty else { return nil }
        var report = ImportsReport()
        guard let agent = importAgent else { return report }
        for (route, decision) in agent.importer.all {
            let gateway = route.gateway.map(\.description) ?? ""
            let proto = RouteProtocol.name(of: route.protocolNumber)
            switch decision {
            case .imported(let peer):
                report.imported.append(ImportedRouteReport(prefix: route.destination.description,
                                                           router: engine.peers[peer].name, gateway: gateway,
                                                           proto: proto, metric: Int(route.metric)))
            case .refused(let reason):
                report.refusedRoutes.append(RefusedImportReport(prefix: route.destination.description,
                                                                gateway: gateway, proto: proto, reason: reason.rawValue))
            }
        }
        for (reason, count) in agent.importer.refusals { report.refusedTotal[reason.rawValue] = count }
        return report
    }
}

extension Route {
    /// The route as the importer sees it; nil for routes of other tables.
    var importEntry: KernelRouteEntry? {
        guard table == 254 else { return nil }
        return KernelRouteEntry(destination: destination, metric: metric ?? (destination.address.isIPv6 ? 1024 : 0),
                                gateway: gateway, outputLinkIndex: outputLinkIndex, protocolNumber: protocolNumber)
    }
}

extension Endpoint {
    /// The address of an endpoint written as one; nil for a name.
    var literalAddress: IPAddress? {
        if case .address(let address) = host { return address }
        return nil
    }
}

extension RouteProtocol {
    /// iproute2's name of a route protocol (rt_protos), or the number.
    static func name(of number: UInt8) -> String {
        switch number {
        case 2: return "kernel"
        case 3: return "boot"
        case 4: return "static"
        case 11: return "zebra"
        case 12: return "bird"
        case 16: return "dhcp"
        case 109: return "mlink"
        case 186: return "bgp"
        case 187: return "isis"
        case 188: return "ospf"
        case 189: return "rip"
        default: return "\(number)"
        }
    }
}

extension MetricsRenderer {
    /// `mlink_imported_routes{router}` and `mlink_import_refused_total{reason}` (a router with router peers).
    static func renderImports(_ report: StatusReport, into out: inout MetricsText) {
        guard let imports = report.imports else { return }
        let interface = report.interface
        out.family("mlink_imported_routes", .gauge, "Router: kernel routes via a router peer taken into forwarding.")
        var byRouter: [String: Int] = [:]
        for route in imports.imported { byRouter[route.router, default: 0] += 1 }
        for (router, count) in byRouter.sorted(by: { $0.key < $1.key }) {
            out.sample("mlink_imported_routes", [("interface", interface), ("router", router)], Double(count))
        }
        out.family("mlink_import_refused_total", .counter,
                   "Router: kernel routes via the TUN refused for forwarding since start, by reason.")
        for reason in ImportRefusal.allCases {
            out.sample("mlink_import_refused_total", [("interface", interface), ("reason", reason.rawValue)],
                       Double(imports.refusedTotal[reason.rawValue] ?? 0))
        }
    }
}
