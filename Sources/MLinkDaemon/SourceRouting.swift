import MLinkConfig
import MLinkNetlink
import MLinkSystem
import MLinkTypes

/// Per-link source routing (DESIGN.md section 2): for each link whose way to the router goes through a gateway,
/// a table holding that gateway and a rule "from LINK-ADDRESS lookup TABLE", so a socket bound to the link's
/// address and pinned to the link really leaves through it, whatever the main table prefers.
///
/// The gateway is the one the system already uses on that link: the best route out of the link towards a router
/// endpoint (longest prefix, then lowest metric, main table first), in any table but mlink's own range and
/// `local`. A link whose endpoint is on-link, or that has no route towards the router, gets nothing. A router
/// routes each link towards the unspecified address instead: its default route's gateway, if it has one.
///
/// Every route and rule carries `settings.routeProtocol` (109 by default) and lives in `settings.tables` at
/// `settings.rulePriority`, so
/// `sweep` (used by `down` and by a failed `up`) removes exactly these, even after a crash. The core calls
/// `update` whenever links, addresses, routes or endpoints change; it is a diff, so calling it often is cheap,
/// and after the first call its route dump runs on `GatewayFinder`'s thread (`apply` takes the answer).
/// `checkInstalled` compares what is installed with the kernel and puts back what the kernel dropped (a link
/// down/up flushes every route through the link); nothing else in the tables is touched.
public final class SourceRouting {
    /// One link's table and rule.
    struct Entry: Equatable, Sendable {
        var linkName: String
        var linkIndex: Int32
        /// The link's address with its prefix (the prefix gives the on-link route of the table).
        var address: IPNetwork
        var gateway: IPAddress
        var table: UInt32
    }

    let settings: Profile.RoutingSettings
    let netlink: RouteNetlink
    let log: Logger
    /// What is installed now.
    private(set) var installed: [Entry] = []
    /// Table per link name, kept while the link has an entry so a link keeps its table across updates.
    private var tableOfLink: [String: UInt32] = [:]
    /// How often the kernel had lost part of a link's table or rules and they were put back, by link name
    /// (`show`'s `heals`, the metric `mlink_source_routing_heals_total`). Kept for the life of the core.
    private(set) var heals: [String: UInt64] = [:]
    /// The heal check's socket: with strict dumps the kernel reads only mlink's tables, so the check costs
    /// microseconds however large the main table is, and can run on the loop every second.
    private let checker: RouteNetlink?
    /// The gateway each link last used, by link name and address, with the link's index: a link that went down
    /// and up again lost every route through it without a word (IPv4 sends no RTM_DELROUTE for a flush), the
    /// routes that named its gateway included; the link keeps this one until the link or its address goes away
    /// or someone deletes that route explicitly (`forgetGateways`).
    private var remembered: [LinkKey: (gateway: IPAddress, linkIndex: Int32)] = [:]
    /// Entries whose repair failed, so a failure is logged once, not every second.
    private var failingRepairs: Set<String> = []
    /// False until the first search, which runs on the calling thread (the core's start, before `ready`).
    private var searchedOnce = false

    struct LinkKey: Hashable {
        var name: String
        var address: IPAddress
    }

    init(settings: Profile.RoutingSettings, netlink: RouteNetlink, log: Logger) {
        self.settings = settings
        self.netlink = netlink
        self.log = log
        checker = settings.enabled ? try? RouteNetlink(strictDumps: true) : nil
    }

    /// True when `checkInstalled` is cheap enough for the loop (the kernel filters dumps by table).
    var checksOnLoop: Bool { checker?.hasStrictDumps ?? false }

    /// The shortest time between two route dumps: a host whose routes churn (a routing daemon) sends
    /// notifications in bursts, and one dump after the burst serves them all.
    static let minimumSpacing: UInt64 = 200_000_000
    private var lastUpdate: UInt64 = 0
    /// True when an update was asked for within `minimumSpacing` of the last one: the timer runs it later.
    private(set) var isPending = false

    /// Brings the installed tables and rules in line with `links` and `endpoints`, now or, when the last
    /// update was less than `minimumSpacing` ago, at the next call after that (`isPending` says so).
    ///
    /// The first update searches on the calling thread, so the core's readiness report lists what it installed;
    /// later ones hand the search to `finder` and `apply` its answer when it comes back.
    func update(links: [UsableLink], endpoints: [IPAddress], now: UInt64, finder: GatewayFinder) {
        guard settings.enabled else { return }
        if lastUpdate != 0 && now &- lastUpdate < SourceRouting.minimumSpacing {
            isPending = true
            return
        }
        lastUpdate = now
        isPending = false
        let request = GatewayFinder.Request(links: links, endpoints: endpoints, installed: installed)
        if searchedOnce {
            finder.start(request)
        } else {
            searchedOnce = true
            apply(GatewayFinder.search(request, settings: settings, netlink: netlink), currentLinks: links)
        }
    }

    /// Installs and removes entries after a gateway search, for the links there are now (`currentLinks`; the
    /// search saw the links of its request), then puts back whatever the kernel lost of the rest.
    func apply(_ answer: GatewayFinder.Answer, currentLinks: [UsableLink]) {
        if let problem = answer.problem {
            log.warning("source routing: cannot list routes: \(problem)")
            return
        }
        var wanted: [Entry] = []
        for choice in SourceRouting.choices(answer, currentLinks: currentLinks, remembered: remembered) {
            let link = choice.link
            let table = tableOfLink[link.name] ?? nextFreeTable(wanted: wanted)
            guard let table else {
                log.warning("source routing: no free table in \(settings.tables) for \(link.name)")
                continue
            }
            tableOfLink[link.name] = table
            remembered[LinkKey(name: link.name, address: link.address)] = (choice.gateway, link.index)
            wanted.append(Entry(linkName: link.name, linkIndex: link.index, address: link.network,
                                gateway: choice.gateway, table: table))
        }
        for entry in installed where !wanted.contains(entry) { remove(entry) }
        installed.removeAll { !wanted.contains($0) }
        var fresh: [Entry] = []
        for entry in wanted where !installed.contains(entry) {
            if install(entry) {
                installed.append(entry)
                fresh.append(entry)
            }
        }
        let used = Set(installed.map(\.linkName))
        tableOfLink = tableOfLink.filter { used.contains($0.key) }
        if checksOnLoop {
            checkInstalled()
        } else {
            // The answer's dump may predate what the loop installed since; heal only what was there before.
            heal(installed.filter { answer.request.installed.contains($0) && !fresh.contains($0) },
                 presentRoutes: answer.ownRoutes, presentRules: answer.rules)
        }
    }

    /// The gateway of each current link: what the search found, and for a link the search found no route out
    /// of at all (neither a gateway nor the router on-link) the gateway it last used while that is still on
    /// the link's network (`remembered`). Pure.
    static func choices(_ answer: GatewayFinder.Answer, currentLinks: [UsableLink],
                        remembered: [LinkKey: (gateway: IPAddress, linkIndex: Int32)]) -> [GatewayChoice] {
        var result: [GatewayChoice] = []
        for link in currentLinks {
            if let found = answer.gateways.first(where: { $0.link == link }) {
                result.append(found)
            } else if !answer.onLink.contains(link),
                      let last = remembered[LinkKey(name: link.name, address: link.address)],
                      last.linkIndex == link.index, link.network.contains(last.gateway) {
                result.append(GatewayChoice(link: link, gateway: last.gateway))
            }
        }
        return result
    }

    /// Forgets remembered gateways that `events` show gone for good: the link deleted, the address removed,
    /// or the route that gave the gateway deleted by someone (an explicit RTM_DELROUTE, not a flush).
    func forgetGateways(after events: [NetlinkEvent]) {
        guard !remembered.isEmpty else { return }
        for event in events {
            switch event {
            case .linkRemoved(let index, let name):
                remembered = remembered.filter { $0.key.name != name && $0.value.linkIndex != index }
            case .addressRemoved(let address):
                remembered = remembered.filter { !($0.key.address == address.network.address && $0.value.linkIndex == address.linkIndex) }
            case .routeRemoved(let route) where route.protocolNumber != settings.routeProtocol:
                remembered = remembered.filter { $0.value.gateway != route.gateway || $0.value.linkIndex != route.outputLinkIndex }
            default:
                break
            }
        }
    }

    /// True when `event` removed a route from one of mlink's own tables: someone flushed it, or mlink removed
    /// an entry itself (then the check finds nothing to do).
    func touchesOwnTables(_ event: NetlinkEvent) -> Bool {
        if case .routeRemoved(let route) = event { return settings.tables.contains(route.table) }
        return false
    }

    /// Compares the installed entries with the kernel's tables and rules (one dump per table, one rule dump)
    /// and puts back what is missing. Only on a socket with strict dumps (`checksOnLoop`); costs nothing when
    /// nothing is installed.
    func checkInstalled() {
        guard !installed.isEmpty, let checker, checker.hasStrictDumps else { return }
        do {
            var routes: [Route] = []
            for table in Set(installed.map(\.table)).sorted() { routes += try checker.routes(inTable: table) }
            heal(installed, presentRoutes: routes, presentRules: try checker.rules())
        } catch {
            log.warning("source routing: cannot check the tables: \(error)")
        }
    }

    /// Puts back the routes and rules of `entries` missing from `presentRoutes` and `presentRules`; counts a
    /// heal per entry that needed one. A missing suppress rule takes the lookup rule out first, so that the
    /// two go back in their order (same priority: the kernel keeps insertion order).
    private func heal(_ entries: [Entry], presentRoutes: [Route], presentRules: [Rule]) {
        for entry in entries {
            let routes = RoutingDiff.missingRoutes(Self.routes(of: entry, settings: settings), present: presentRoutes)
            let suppress = Self.suppressRule(of: entry, settings: settings)
            let lookup = Self.rule(of: entry, settings: settings)
            let rules = RoutingDiff.missingRules([suppress, lookup], present: presentRules)
            guard !routes.isEmpty || !rules.isEmpty else {
                failingRepairs.remove(entry.linkName)
                continue
            }
            do {
                var created = 0
                for route in routes where try addCreating({ try netlink.addRoute(route) }) { created += 1 }
                if rules.contains(suppress) {
                    if !rules.contains(lookup) { try? netlink.deleteRule(lookup) }
                    if try addCreating({ try netlink.addRule(suppress) }) { created += 1 }
                    if try addCreating({ try netlink.addRule(lookup) }) { created += 1 }
                } else if try addCreating({ try netlink.addRule(lookup) }) {
                    created += 1
                }
                failingRepairs.remove(entry.linkName)
                guard created > 0 else { continue }
                heals[entry.linkName, default: 0] += 1
                log.info("source routing: \(entry.linkName): table \(entry.table) had lost \(routes.count) route(s) and "
                         + "\(rules.count) rule(s); put back (heal \(heals[entry.linkName] ?? 0))")
            } catch {
                if failingRepairs.insert(entry.linkName).inserted {
                    log.warning("source routing: \(entry.linkName): cannot put table \(entry.table) back: \(error)")
                }
            }
        }
    }

    /// Runs an add; true when it created something, false when it was there already (EEXIST).
    private func addCreating(_ body: () throws -> Void) throws -> Bool {
        do {
            try body()
            return true
        } catch let error as NetlinkError where error.code == .fileExists {
            return false
        }
    }

    /// Removes everything installed (the core stopping).
    func removeAll() {
        for entry in installed.reversed() { remove(entry) }
        installed.removeAll()
        tableOfLink.removeAll()
    }

    /// The gateway of every link that reaches a router endpoint through one (see the type's comment).
    static func gateways(links: [UsableLink], endpoints: [IPAddress], routes: [Route],
                         settings: Profile.RoutingSettings) -> [(UsableLink, IPAddress)] {
        decisions(links: links, endpoints: endpoints, routes: routes, settings: settings).compactMap { link, gateway in
            gateway.map { (link, $0) }
        }
    }

    /// Each link with a route towards a router endpoint and that route's gateway, nil when the endpoint is
    /// on-link; links with no such route are left out.
    static func decisions(links: [UsableLink], endpoints: [IPAddress], routes: [Route],
                          settings: Profile.RoutingSettings) -> [(UsableLink, IPAddress?)] {
        var result: [(UsableLink, IPAddress?)] = []
        for link in links {
            let candidates = routes.filter {
                $0.outputLinkIndex == link.index && $0.table != 255 && !settings.tables.contains($0.table)
                    && $0.destination.address.isIPv6 == link.address.isIPv6
            }
            for endpoint in endpoints where endpoint.isIPv6 == link.address.isIPv6 {
                let best = candidates.filter { $0.destination.contains(endpoint) }.min { a, b in
                    if a.destination.prefixLength != b.destination.prefixLength {
                        return a.destination.prefixLength > b.destination.prefixLength
                    }
                    if (a.metric ?? 0) != (b.metric ?? 0) { return (a.metric ?? 0) < (b.metric ?? 0) }
                    return a.table == 254 && b.table != 254
                }
                guard let best else { continue }
                result.append((link, best.gateway))
                break  // the first endpoint the link reaches decides: on-link or through this gateway
            }
        }
        return result
    }

    /// What the core of `profile` would install now, as `ip` commands, for `check`: links and routes as they
    /// are, router names resolved now, tables numbered in link order as at start.
    public static func preview(for profile: Profile, interface: String) -> [String] {
        guard profile.routing.enabled, let netlink = try? RouteNetlink(),
              let links = try? LinkInventory.usableLinks(patterns: profile.links, excluding: interface, netlink: netlink),
              let routes = try? netlink.routes(table: nil) else { return [] }
        let endpoints = profile.router.map { EndpointResolver.resolve($0.endpoints).addresses.map(\.address) }
            ?? [IPAddress(ipv4: 0), IPAddress(ipv6High: 0, low: 0)]
        let settings = profile.routing
        var tables: [String: UInt32] = [:]
        var lines: [String] = []
        for (link, gateway) in gateways(links: links, endpoints: endpoints, routes: routes, settings: settings) {
            let table = tables[link.name] ?? settings.tableBase + UInt32(tables.count)
            tables[link.name] = table
            let entry = Entry(linkName: link.name, linkIndex: link.index, address: link.network, gateway: gateway,
                              table: table)
            lines += commands(for: entry, settings: settings)
        }
        return lines
    }

    /// What is installed now, as `ip` commands (`up` echoes them from the core's readiness report).
    var installedCommands: [String] { installed.flatMap { SourceRouting.commands(for: $0, settings: settings) } }

    /// The `ip` commands equivalent to installing `entry`, in the order `install` makes the changes.
    static func commands(for entry: Entry, settings: Profile.RoutingSettings) -> [String] {
        routes(of: entry, settings: settings).map { "[#] \($0.ipCommand(.add, device: entry.linkName))" }
            + [suppressRule(of: entry, settings: settings), rule(of: entry, settings: settings)].map { "[#] \($0.ipCommand(.add))" }
    }

    private func nextFreeTable(wanted: [Entry]) -> UInt32? {
        let taken = Set(tableOfLink.values).union(wanted.map(\.table)).union(installed.map(\.table))
        return settings.tables.first { !taken.contains($0) }
    }

    private static func routes(of entry: Entry, settings: Profile.RoutingSettings) -> [Route] {
        let any = IPNetwork(address: entry.address.address.isIPv6 ? IPAddress(ipv6High: 0, low: 0) : IPAddress(ipv4: 0),
                            prefixLength: 0)!
        return [
            Route(destination: entry.address.masked, outputLinkIndex: entry.linkIndex, table: entry.table,
                  protocolNumber: settings.routeProtocol, source: entry.address.address),
            Route(destination: any, gateway: entry.gateway, outputLinkIndex: entry.linkIndex, table: entry.table,
                  protocolNumber: settings.routeProtocol),
        ]
    }

    private static func rule(of entry: Entry, settings: Profile.RoutingSettings) -> Rule {
        let host = IPNetwork(address: entry.address.address, prefixLength: entry.address.address.bitWidth)!
        return Rule(source: host, table: entry.table, priority: settings.rulePriority,
                    protocolNumber: settings.routeProtocol)
    }

    /// The rule just before it: traffic from the link's address that the main table routes more specifically
    /// than by its default route keeps doing so (wg-quick's suppress_prefixlength rule). Only what would leave
    /// by main's default route (mlink's pinned sockets to the router, and anything else without a better
    /// route) falls through to the link's own table, so `ssh 10.1.1.1` from that address still follows main.
    private static func suppressRule(of entry: Entry, settings: Profile.RoutingSettings) -> Rule {
        let host = IPNetwork(address: entry.address.address, prefixLength: entry.address.address.bitWidth)!
        return Rule(source: host, table: SourceRouting.mainTable, priority: settings.rulePriority,
                    protocolNumber: settings.routeProtocol, suppressPrefixLength: 0)
    }

    /// RT_TABLE_MAIN.
    static let mainTable: UInt32 = 254

    /// Installs one entry: routes first, then the rule that makes them matter. Already-present pieces (left by a
    /// core that crashed) are adopted.
    private func install(_ entry: Entry) -> Bool {
        do {
            for route in Self.routes(of: entry, settings: settings) { try tolerateExisting { try netlink.addRoute(route) } }
            // Same priority: the kernel keeps insertion order, so the suppress rule is consulted first.
            try tolerateExisting { try netlink.addRule(Self.suppressRule(of: entry, settings: settings)) }
            try tolerateExisting { try netlink.addRule(Self.rule(of: entry, settings: settings)) }
            log.info("source routing: \(entry.linkName): from \(entry.address.address) lookup \(entry.table) "
                     + "(default via \(entry.gateway))")
            return true
        } catch {
            log.warning("source routing: \(entry.linkName): \(error)")
            try? netlink.deleteRule(Self.suppressRule(of: entry, settings: settings))
            for route in Self.routes(of: entry, settings: settings) { try? netlink.deleteRoute(route) }
            return false
        }
    }

    /// Removes one entry: the rule first, so no lookup lands in a half-empty table.
    private func remove(_ entry: Entry) {
        try? netlink.deleteRule(Self.rule(of: entry, settings: settings))
        try? netlink.deleteRule(Self.suppressRule(of: entry, settings: settings))
        for route in Self.routes(of: entry, settings: settings).reversed() { try? netlink.deleteRoute(route) }
        log.info("source routing: \(entry.linkName): removed table \(entry.table)")
    }

    private func tolerateExisting(_ body: () throws -> Void) throws {
        do { try body() } catch let error as NetlinkError where error.code == .fileExists {}
    }

    /// Removes every rule and route of `settings` (protocol 109, mlink's tables and priority), echoing each as
    /// an `ip` command: what `down` and a failed `up` do, whether the core ended cleanly or not.
    public static func sweep(_ settings: Profile.RoutingSettings, netlink: RouteNetlink, echo: (String) -> Void) {
        for rule in (try? netlink.rules()) ?? [] where rule.protocolNumber == settings.routeProtocol
            && rule.priority == settings.rulePriority
            && (settings.tables.contains(rule.table) || (rule.table == mainTable && rule.suppressPrefixLength == 0)) {
            echo("[#] \(rule.ipCommand(.delete))")
            try? netlink.deleteRule(rule)
        }
        for route in (try? netlink.routes(table: nil)) ?? [] where route.protocolNumber == settings.routeProtocol
            && settings.tables.contains(route.table) {
            echo("[#] \(route.ipCommand(.delete, device: nil))")
            try? netlink.deleteRoute(route)
        }
    }
}
