import MLinkConfig
import MLinkNetlink
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// Per-link source routing and the router endpoints' names, kept current from the event loop.
///
/// Source routing is recomputed after every link/address/route notification and every `routingCheckInterval`
/// as a safety net (a diff: nothing changes when nothing moved). The gateway search dumps every route, so it
/// runs on `gatewayFinder`'s thread and its answer wakes the loop (`collectGateways`). What the core installed
/// is checked against the kernel every `healCheckInterval` and after every link event (`checkInstalled`, one
/// dump of each own table: the kernel reads only those) and put back when the kernel dropped it. Names are
/// resolved again every `resolveInterval`, and sooner (at most every `failedResolveInterval`) while no
/// connection to the router is up; the answer wakes the loop through the resolver's event descriptor
/// (`collectResolution`).
extension ForwardingCore {
    static let routingCheckInterval: UInt64 = 10_000_000_000
    static let healCheckInterval: UInt64 = 1_000_000_000
    static let resolveInterval: UInt64 = 60_000_000_000
    static let failedResolveInterval: UInt64 = 5_000_000_000

    /// Recomputes the per-link tables and rules. A host routes each link towards the router's endpoints; a
    /// router, whose hosts may be anywhere, towards the unspecified address, which only a default route covers:
    /// a router with several uplinks then answers through the link each request came in on.
    func updateSourceRouting() {
        sourceRouting.update(links: currentLinks, endpoints: sourceRoutingEndpoints, now: MonotonicClock.now(),
                             finder: gatewayFinder)
    }

    var currentLinks: [UsableLink] { slots.compactMap { $0?.link } }

    var sourceRoutingEndpoints: [IPAddress] {
        profile.router != nil ? routerAddresses.map(\.address) : [IPAddress(ipv4: 0), IPAddress(ipv6High: 0, low: 0)]
    }

    /// Takes the answer of a finished gateway search (the finder's wake-up descriptor became readable).
    func collectGateways() {
        guard let answer = gatewayFinder.take() else { return }
        sourceRouting.apply(answer, currentLinks: currentLinks)
    }

    /// Netlink events seen (hook of `handleLinkChanges`): forgets gateways gone for good, and after a link
    /// event or a removal from an own table checks the tables at once (a link that came back up lost its routes).
    func noteRoutingEvents(_ events: [NetlinkEvent]) {
        sourceRouting.forgetGateways(after: events)
        if events.contains(where: { $0.changesLinks || sourceRouting.touchesOwnTables($0) }) {
            sourceRouting.checkInstalled()
            if !sourceRouting.checksOnLoop { updateSourceRouting() }
        }
    }

    /// Timer work for routing and names; called from `runTimers`, cheap when nothing is due.
    func runRoutingTimers(now: UInt64) {
        if now >= nextRoutingCheck || sourceRouting.isPending {
            if now >= nextRoutingCheck { nextRoutingCheck = now + ForwardingCore.routingCheckInterval }
            updateSourceRouting()
        }
        if now >= nextHealCheck {
            nextHealCheck = now + ForwardingCore.healCheckInterval
            // Without strict dumps a check would read every table on the loop: the finder's search checks instead.
            if sourceRouting.checksOnLoop { sourceRouting.checkInstalled() } else { updateSourceRouting() }
        }
        guard !dialledEndpoints.isEmpty else { return }
        let allFailing = someDialledPeerFailing
        let due = lastResolve + (allFailing ? ForwardingCore.failedResolveInterval : ForwardingCore.resolveInterval)
        if now >= due && resolver.start() {
            lastResolve = now
        }
    }

    /// Takes the answer of a finished resolution (the resolver's wake-up descriptor became readable).
    func collectResolution() {
        guard let (groups, problems) = resolver.take() else { return }
        for problem in problems { log.warning(problem) }
        applyResolvedGroups(groups)  // ForwardingCore+Routers.swift
    }
}

extension Connection.State {
    /// Up or degraded: the connection delivers, if not at its best.
    var carriesTraffic: Bool { self == .up || self == .degraded }
}

extension NetlinkEvent {
    /// A link or address event: the set of usable links may have changed.
    var changesLinks: Bool {
        switch self {
        case .linkAdded, .linkRemoved, .addressAdded, .addressRemoved: return true
        case .routeAdded, .routeRemoved: return false
        }
    }

    /// A route event about someone else's route: mlink's own (`ownProtocols`) come back as echoes of its changes.
    func changesOthersRoutes(ownProtocols: [UInt8]) -> Bool {
        switch self {
        case .routeAdded(let route), .routeRemoved(let route): return !ownProtocols.contains(route.protocolNumber)
        default: return false
        }
    }
}
