/// Virtual routing in the status report (issue 13): announcements with their verdicts, the distributed routes
/// with what the host did with them, shared prefixes with their primary and standbys, and the counters behind
/// `mlink_routes_*`. Absent (nil) when the profile announces, pushes and allows nothing.
public struct RoutesReport: Codable, Equatable, Sendable {
    /// Host: its own announcements with the router's verdicts. Router: every peer's, with the verdicts it gave.
    public var announcements: [AnnouncementReport] = []
    /// Host: the routes the router distributed, installed or skipped with a reason.
    public var distributed: [DistributedRouteReport] = []
    /// Router: each announced prefix with its primary and standbys.
    public var shared: [SharedPrefixReport] = []
    /// The routes mlink installed in the kernel's main table for routing (`ip route` words, protocol 109).
    public var kernel: [String] = []
    /// Router: active (primary) announced prefixes. Host: distributed routes installed.
    public var active = 0
    /// Router: refusals since start by reason (`not-allowed`, `too-long`, ...), counted once per announcement
    /// generation. Host: the router's current refusals of its announcements by reason.
    public var refused: [String: UInt64] = [:]
    /// Router: how often a shared prefix changed its primary.
    public var failovers: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case announcements, distributed, shared, kernel, active, refused, failovers
    }
}

/// One announced prefix and its verdict.
public struct AnnouncementReport: Codable, Equatable, Sendable {
    /// The announcing peer (on a router); empty on a host.
    public var peer = ""
    public var prefix = ""
    public var preference = 0
    public var whileRoute = false
    /// `active`, `standby`, a refusal (`not-allowed`, `too-long`, `overlaps-router`, `overlaps-virtual`,
    /// `over-limit`, `martian`, `host-bits`, `duplicate`), `pending` (sent, no verdict yet) or `withdrawn`
    /// (while-route: no route of its own to the prefix now).
    public var verdict = ""

    public init(peer: String = "", prefix: String, preference: Int, whileRoute: Bool, verdict: String) {
        self.peer = peer; self.prefix = prefix; self.preference = preference; self.whileRoute = whileRoute
        self.verdict = verdict
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case peer, prefix, preference, verdict
        case whileRoute = "while_route"
    }
}

/// One route of the router's ROUTE_TABLE as a host sees it.
public struct DistributedRouteReport: Codable, Equatable, Sendable {
    public var prefix = ""
    /// From the router's `push-routes` rather than another host's announcement.
    public var pushed = false
    public var installed = false
    /// `installed`, `not-accepted`, `default-route` or `overlaps`.
    public var reason = ""
    /// The whole sentence, e.g. `skipped: overlaps 192.168.1.0/24 on wlan0`.
    public var detail = ""

    public init(prefix: String, pushed: Bool, installed: Bool, reason: String, detail: String) {
        self.prefix = prefix; self.pushed = pushed; self.installed = installed; self.reason = reason
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case prefix, pushed, installed, reason, detail }
}

/// A prefix announced by one or more peers, on the router.
public struct SharedPrefixReport: Codable, Equatable, Sendable {
    public var prefix = ""
    public var primary = ""
    /// The other candidates, best first.
    public var standbys: [String] = []
    public var failovers: UInt64 = 0

    public init(prefix: String, primary: String, standbys: [String], failovers: UInt64) {
        self.prefix = prefix; self.primary = primary; self.standbys = standbys; self.failovers = failovers
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case prefix, primary, standbys, failovers }
}
