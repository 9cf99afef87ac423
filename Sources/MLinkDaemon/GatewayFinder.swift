import MLinkConfig
import MLinkNetlink
import MLinkSystem
import MLinkTypes
import Synchronization

/// Finds the gateway of every link off the event loop: the route dump behind it grows with the routing table,
/// and a router holding a full BGP table (a million routes) would stall forwarding for seconds if the loop read
/// it.
///
/// The loop calls `start` with the links and endpoints of the moment; a detached thread opens its own netlink
/// socket, dumps every route and every rule, computes the gateways (`SourceRouting.gateways`, pure) and keeps
/// the routes of mlink's own tables for the heal check, then signals `wakeup`, which the loop watches; `take`
/// hands the answer over. One search runs at a time; a `start` while one runs is remembered and run right
/// after it with the newest input, so a burst of notifications costs at most two dumps.
final class GatewayFinder: @unchecked Sendable {
    /// What the loop asks for.
    struct Request: Sendable {
        var links: [UsableLink]
        var endpoints: [IPAddress]
        /// What was installed when the search started: the only entries its dump may heal.
        var installed: [SourceRouting.Entry] = []
    }

    /// What a search found, for `SourceRouting.apply`.
    struct Answer: Sendable {
        /// The request it answers (the links as they were when it started).
        var request: Request
        /// The gateway of each link that reaches an endpoint through one.
        var gateways: [GatewayChoice]
        /// The links that reach an endpoint on-link (they need no table).
        var onLink: [UsableLink] = []
        /// The routes in mlink's own tables and every source rule, as the dump found them.
        var ownRoutes: [Route]
        var rules: [Rule]
        /// Why the dump failed, if it did (then the lists above are empty and nothing should change).
        var problem: String?
    }

    let settings: Profile.RoutingSettings
    /// Readable when a search finished.
    let wakeup: EventDescriptor

    private struct State {
        var running = false
        var queued: Request?
        var answer: Answer?
    }
    private let state = Mutex(State())

    init(settings: Profile.RoutingSettings) throws {
        self.settings = settings
        wakeup = try EventDescriptor()
    }

    /// Starts a search for `request`, or queues it behind the one running (replacing any queued before).
    func start(_ request: Request) {
        let claimed = state.withLock { state -> Bool in
            if state.running {
                state.queued = request
                return false
            }
            state.running = true
            return true
        }
        if claimed { launch(request) }
    }

    /// The newest finished answer, once; nil when none finished since. Called when `wakeup` is readable; resets it.
    func take() -> Answer? {
        _ = wakeup.drain()
        return state.withLock { state in
            defer { state.answer = nil }
            return state.answer
        }
    }

    /// One search, on the calling thread (the core's first one, before the loop runs, and `check`).
    static func search(_ request: Request, settings: Profile.RoutingSettings, netlink: RouteNetlink) -> Answer {
        do {
            let routes = try netlink.routes(table: nil)
            let rules = try netlink.rules()
            let decisions = SourceRouting.decisions(links: request.links, endpoints: request.endpoints, routes: routes,
                                                    settings: settings)
            return Answer(request: request,
                          gateways: decisions.compactMap { link, gateway in gateway.map { GatewayChoice(link: link, gateway: $0) } },
                          onLink: decisions.filter { $0.1 == nil }.map(\.0),
                          ownRoutes: routes.filter { settings.tables.contains($0.table) }, rules: rules)
        } catch {
            return Answer(request: request, gateways: [], ownRoutes: [], rules: [], problem: "\(error)")
        }
    }

    private func launch(_ request: Request) {
        let settings = self.settings
        do {
            try DetachedThread.start { [self] in
                var next: Request? = request
                while let current = next {
                    let answer: Answer
                    do {
                        answer = GatewayFinder.search(current, settings: settings, netlink: try RouteNetlink())
                    } catch {
                        answer = Answer(request: current, gateways: [], ownRoutes: [], rules: [], problem: "\(error)")
                    }
                    next = state.withLock { state in
                        state.answer = answer
                        defer { state.queued = nil }
                        if state.queued == nil { state.running = false }
                        return state.queued
                    }
                    wakeup.signal()
                }
            }
        } catch {
            state.withLock {
                $0.answer = Answer(request: request, gateways: [], ownRoutes: [], rules: [],
                                   problem: "cannot start the gateway thread: \(error)")
                $0.running = false
            }
            wakeup.signal()
        }
    }
}

/// One link's gateway towards the router, as found in the routing tables (or remembered, see `SourceRouting`).
struct GatewayChoice: Equatable, Sendable {
    var link: UsableLink
    var gateway: IPAddress
}
