import MLinkConfig
import MLinkControl
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// Several routers (issue 16): the engine's peers from the profile, each knowing its role and whether we dial it.
extension ForwardingCore {
    /// A host: one peer per router (`router` first, then `routers`), each dialled; a router: its peers, dialling
    /// the router peers whose key is higher than ours. Throws the profile error of a router peer we must dial but
    /// cannot (no endpoints).
    static func enginePeers(for profile: Profile) throws -> [PeerConfiguration] {
        if profile.role == .host {
            // What a router may send us from: the virtual network and the routes behind it.
            let virtualNetwork = IPNetwork(address: profile.interface.address.address,
                                           prefixLength: profile.interface.address.prefixLength)!.masked
            return profile.allRouters.map { router in
                var peer = PeerConfiguration(name: router.name, publicKey: router.publicKey,
                                             allowedIPs: [virtualNetwork] + router.routes,
                                             presharedKey: router.presharedKey)
                peer.isRouter = true
                peer.dials = true
                peer.preference = router.preference
                return peer
            }
        }
        let ownKey = TunnelEngine.publicKey(for: profile.privateKey)
        if let problem = profile.routerPeerProblem(ownPublicKey: ownKey) { throw problem }
        return profile.peers.map {
            var peer = PeerConfiguration(name: $0.name, publicKey: $0.publicKey, allowedIPs: $0.allowedIPs,
                                         presharedKey: $0.presharedKey)
            peer.isRouter = $0.role == .router
            peer.dials = peer.isRouter && Profile.dials(own: ownKey, peer: $0.publicKey)
            return peer
        }
    }

    /// The endpoints of every peer we dial, with its engine peer index (a host: every router; a router: the
    /// router peers it dials), in peer order.
    static func dialledEndpoints(for profile: Profile, peers: [Peer]) -> [(index: Int, endpoints: [Endpoint])] {
        if profile.role == .host { return profile.allRouters.enumerated().map { ($0.offset, $0.element.endpoints) } }
        return profile.peers.enumerated().filter { $0.offset < peers.count && peers[$0.offset].dials }
            .map { ($0.offset, $0.element.endpoints) }
    }
}

extension ForwardingCore {
    /// The router leases are asked of: a host's current router (peer 0 with one router).
    var leaseRouter: Int { engine.currentRouter ?? 0 }

    /// Resolves every dialled peer's endpoints at start (on the calling thread) and hands them to the engine.
    func resolveDialledPeersAtStart() {
        var groups: [[SocketAddress]] = []
        for (index, endpoints) in dialledEndpoints {
            let (addresses, problems) = EndpointResolver.resolve(endpoints)
            for problem in problems { log.warning("peer \(engine.peers[index].name): \(problem)") }
            engine.setEndpoints(addresses, peer: index)
            groups.append(addresses)
        }
        dialledAddresses = groups
        routerAddresses = groups.flatMap { $0 }
        lastResolve = MonotonicClock.now()
    }

    /// Takes a finished background resolution: one group of addresses per dialled peer, in `dialledEndpoints` order.
    func applyResolvedGroups(_ groups: [[SocketAddress]]) {
        var changed = false
        for (position, (index, _)) in dialledEndpoints.enumerated() where position < groups.count {
            let addresses = groups[position]
            let old = position < dialledAddresses.count ? dialledAddresses[position] : []
            guard !addresses.isEmpty, Set(addresses) != Set(old) else { continue }  // order alone is no change
            log.info("peer \(engine.peers[index].name): endpoints now \(addresses.map(\.description).joined(separator: ", "))")
            engine.setEndpoints(addresses, peer: index)
            while dialledAddresses.count <= position { dialledAddresses.append([]) }
            dialledAddresses[position] = addresses
            changed = true
        }
        if changed {
            routerAddresses = dialledAddresses.flatMap { $0 }
            updateSourceRouting()
        }
    }

    /// True while some dialled peer has no connection that carries traffic (names are then resolved sooner).
    var someDialledPeerFailing: Bool {
        dialledEndpoints.contains { entry in !engine.peers[entry.index].connections.contains { $0.state.carriesTraffic } }
    }

    /// Router: host `peer` said whether we are its current router (PREFERRED); kept in the engine, where `show`
    /// and the host-route metric read it.
    func notePreferred(_ isPreferred: Bool, from peer: Int) {
        if engine.recordPreferred(isPreferred, from: peer) {
            log.info("peer \(engine.peers[peer].name): " + (isPreferred ? "sends through this router" : "sends through another router"))
            applyHostRouteMetric(of: peer)
        }
    }

    /// Host: traffic moved to router `peer`; leases follow it (the lease client asks the current router).
    func currentRouterChanged(to peer: Int) {
        let switches = engine.routerSwitches
        log.info("router \(engine.peers[peer].name) is now current" + (switches > 0 ? " (switch \(switches))" : ""))
        leaseSessionEstablished(peer: peer)
    }
}

extension StatusSnapshot {
    /// A peer's `mesh` object: every router peer, and a router's hosts once it has router peers.
    static func meshReport(of peer: Peer, engine: TunnelEngine, now: UInt64) -> PeerMeshReport? {
        let routerPeers = engine.peers.contains { $0.isRouter }
        guard peer.isRouter || (engine.configuration.isRouter && routerPeers) || peer.preferred != nil else { return nil }
        if !engine.configuration.isRouter && engine.peers.count == 1 { return nil }
        var report = PeerMeshReport()
        report.role = peer.isRouter ? "router" : "host"
        report.dialled = peer.dials
        if let current = engine.currentRouter, engine.peers.count > 1 {
            report.preference = peer.preference
            report.current = engine.peers[current] === peer
            if peer.liveSince != 0 { report.liveFor = seconds(now &- peer.liveSince) }
        }
        report.preferred = peer.preferred
        return report
    }

    /// A host's `router_choice` object, with several routers only.
    static func routerChoiceReport(engine: TunnelEngine, now: UInt64, wallNow: Double) -> RouterChoiceReport? {
        guard let current = engine.currentRouter, engine.peers.count > 1 else { return nil }
        var report = RouterChoiceReport()
        report.current = engine.peers[current].name
        report.switches = engine.routerSwitches
        if engine.lastRouterSwitch != 0 { report.lastSwitch = wallNow - seconds(now &- engine.lastRouterSwitch) }
        report.holdDown = seconds(engine.configuration.routerHoldDown)
        return report
    }
}

extension MetricsRenderer {
    /// The routers' metrics: a host's current router and switches, a router's hosts' PREFERRED.
    static func renderRouters(_ report: StatusReport, into out: inout MetricsText) {
        let interface = report.interface
        if let choice = report.routerChoice {
            out.family("mlink_router_current", .gauge, "Host: 1 for the router traffic goes to now, 0 for its other routers.")
            for peer in report.peers where peer.mesh?.role == "router" {
                out.sample("mlink_router_current", [("interface", interface), ("router", peer.name)],
                           peer.name == choice.current ? 1 : 0)
            }
            out.family("mlink_router_switches_total", .counter, "Host: changes of the current router since start.")
            out.sample("mlink_router_switches_total", [("interface", interface)], Double(choice.switches))
        }
        let told = report.peers.compactMap { peer in peer.mesh?.preferred.map { (peer.name, $0) } }
        if !told.isEmpty {
            out.family("mlink_host_prefers_this_router", .gauge,
                       "Router: 1 when the host's last PREFERRED named this router, 0 when it named another.")
            for (name, preferred) in told {
                out.sample("mlink_host_prefers_this_router", [("interface", interface), ("peer", name)], preferred ? 1 : 0)
            }
        }
    }
}
