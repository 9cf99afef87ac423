import MLinkConfig

/// What `up` created, kept under the run directory so `down` can undo exactly that, even if the profile changed
/// or was deleted meanwhile, and even if the core was killed.
///
/// The file is JSON (`RunDirectory` reads and writes it). States written before `steps` existed hold only
/// `routes` and `rules` (the routes went with the device; no rules were ever written); they load as a state
/// whose only step is the device's creation, which is what their `down` undid.
public struct InterfaceState: Codable, Equatable, Sendable {
    /// The TUN device's name.
    public var interface: String
    /// The profile's `name`, for `down NAME`.
    public var profileName: String
    /// The profile file `up` read, for `down PATH` and the detached core.
    public var profilePath: String
    /// The core's process id; 0 until the core reported ready.
    public var pid: Int32
    /// The set-up steps `up` applied, oldest first; `down` undoes them (`SetupStep.undo`).
    public var steps: [SetupStep]
    /// The first table of the core's per-link source routing; with the two below, what `down` sweeps whatever
    /// the core left. nil when source routing is off.
    public var routingTableBase: UInt32?
    /// The priority of the core's per-link rules.
    public var routingRulePriority: UInt32?
    /// The route protocol tagging the core's per-link tables and rules (nil: 109).
    public var routingProtocol: UInt8?

    /// A state for `interface` of the given profile; source routing, when on, is recorded from `routing`.
    public init(interface: String, profileName: String, profilePath: String, pid: Int32 = 0, steps: [SetupStep] = [],
                routing: Profile.RoutingSettings? = nil) {
        self.interface = interface
        self.profileName = profileName
        self.profilePath = profilePath
        self.pid = pid
        self.steps = steps
        if let routing, routing.enabled {
            routingTableBase = routing.tableBase
            routingRulePriority = routing.rulePriority
            routingProtocol = routing.routeProtocol
        }
    }

    /// The source-routing settings whose tables and rules `down` sweeps; nil when source routing was off.
    public var sourceRouting: Profile.RoutingSettings? {
        guard let routingTableBase, let routingRulePriority else { return nil }
        return Profile.RoutingSettings(tableBase: routingTableBase, rulePriority: routingRulePriority,
                                       routeProtocol: routingProtocol ?? Profile.RoutingSettings().routeProtocol)
    }

    private enum CodingKeys: String, CodingKey {
        case interface, profileName, profilePath, pid, steps, routingTableBase, routingRulePriority, routingProtocol
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        interface = try container.decode(String.self, forKey: .interface)
        profileName = try container.decode(String.self, forKey: .profileName)
        profilePath = try container.decode(String.self, forKey: .profilePath)
        pid = try container.decode(Int32.self, forKey: .pid)
        steps = try container.decodeIfPresent([SetupStep].self, forKey: .steps) ?? [.createTun(name: interface)]
        routingTableBase = try container.decodeIfPresent(UInt32.self, forKey: .routingTableBase)
        routingRulePriority = try container.decodeIfPresent(UInt32.self, forKey: .routingRulePriority)
        routingProtocol = try container.decodeIfPresent(UInt8.self, forKey: .routingProtocol)
    }
}
