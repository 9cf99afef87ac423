/// Routes a routing daemon installed via another router and mlink reads back (issue 16 item 2, docs/ROUTING.md):
/// the ones the engine forwards, with the router peer they go through, and the ones refused, with the reason.
/// Absent (nil) on a host and on a router without `role: router` peers.
public struct ImportsReport: Codable, Equatable, Sendable {
    /// The kernel routes taken into forwarding, sorted by prefix.
    public var imported: [ImportedRouteReport] = []
    /// The kernel routes through the TUN refused now, sorted by prefix.
    public var refusedRoutes: [RefusedImportReport] = []
    /// Refusals since start by reason (`outside-bound`, `capture`, `martian`, `not-via-router`), counted once each
    /// time a destination's best route becomes refused: `mlink_import_refused_total{reason}`.
    public var refusedTotal: [String: UInt64] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case imported
        case refusedRoutes = "refused_routes", refusedTotal = "refused_total"
    }
}

/// One imported route: a destination the engine sends to a router peer.
public struct ImportedRouteReport: Codable, Equatable, Sendable {
    public var prefix = ""
    /// The router peer's name.
    public var router = ""
    /// The kernel route's gateway (the router's virtual address).
    public var gateway = ""
    /// The kernel route's protocol, by name where iproute2 has one (`bird`, `zebra`, `static`), else the number.
    public var proto = ""
    public var metric = 0

    public init(prefix: String, router: String, gateway: String, proto: String, metric: Int) {
        self.prefix = prefix; self.router = router; self.gateway = gateway; self.proto = proto; self.metric = metric
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case prefix, router, gateway, proto = "protocol", metric }
}

/// One refused kernel route and why.
public struct RefusedImportReport: Codable, Equatable, Sendable {
    public var prefix = ""
    public var gateway = ""
    public var proto = ""
    /// `outside-bound`, `capture`, `martian` or `not-via-router`.
    public var reason = ""

    public init(prefix: String, gateway: String, proto: String, reason: String) {
        self.prefix = prefix; self.gateway = gateway; self.proto = proto; self.reason = reason
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case prefix, gateway, proto = "protocol", reason }
}
