/// Several routers (issue 16): a peer's part in the mesh, and a host's choice among its routers.

/// The `mesh` object of a peer that is a router, or of a host peer on a router with router peers.
public struct PeerMeshReport: Codable, Equatable, Sendable {
    /// `router` (a host's router, or a router's `role: router` peer) or `host`.
    public var role = "host"
    /// True when this end dials the peer (initiates, makes the connections); false when it answers.
    public var dialled = false
    /// A host's router: its `preference` (lower is preferred).
    public var preference: Int?
    /// A host's router: true for the router traffic goes to now.
    public var current: Bool?
    /// A host's router: seconds its session and bundle have been live without interruption; nil: not live.
    public var liveFor: Double?
    /// A router's host: what the host's last PREFERRED said (true: this router is its current one); nil: none yet.
    public var preferred: Bool?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case role, dialled, preference, current, preferred
        case liveFor = "live_for_s"
    }
}

/// The `router_choice` object of a host with several routers.
public struct RouterChoiceReport: Codable, Equatable, Sendable {
    /// The name of the router traffic goes to now.
    public var current = ""
    /// Switches of the current router since start (the first choice not counted).
    public var switches: UInt64 = 0
    /// The last switch, seconds since the Unix epoch; nil: none.
    public var lastSwitch: Double?
    /// `preempt-delay`: seconds a better returning router must stay live before traffic moves back to it.
    public var holdDown = 0.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case current, switches
        case lastSwitch = "last_switch", holdDown = "hold_down_s"
    }
}
