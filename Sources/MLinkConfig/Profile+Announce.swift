import MLinkRoutes
import MLinkTypes
import MLinkYAML

extension Profile {
    /// Issue 13's route keys: what a host announces and accepts, what a router pushes and allows.
    public struct RouteSettings: Sendable, Equatable {
        /// Host: `announce`, the prefixes behind this host.
        public var announce: [Announcement] = []
        /// Host: `router.accept-routes` (default `private`).
        public var acceptance = RouteAcceptance()
        /// Router: `push-routes`, prefixes the router itself reaches, distributed to every host.
        public var pushRoutes: [IPNetwork] = []
        /// Router: `preempt-delay`, seconds a strictly better returning host waits before it takes a shared prefix
        /// back (default 30).
        public var preemptDelaySeconds = 30
        /// Router: `max-routes`, accepted announcements per peer (default 256).
        public var maximumRoutesPerPeer = 256

        public init() {}
    }

    /// One `announce` entry.
    public struct Announcement: Sendable, Equatable {
        public var prefix: IPNetwork
        /// Lower is preferred when several hosts announce the same prefix (default 100).
        public var preference: UInt8
        /// Sent only while this host has a route to the prefix that does not go through mlink.
        public var whileRoute: Bool

        public init(prefix: IPNetwork, preference: UInt8 = RoutePrefixItem.defaultPreference, whileRoute: Bool = false) {
            self.prefix = prefix; self.preference = preference; self.whileRoute = whileRoute
        }
    }

    /// One `peers[].allowed-routes` entry with where it was written, so problems found later (against the
    /// router's links at `check` or `up`) still name FILE:LINE:COL: key.
    public struct AllowedRouteEntry: Sendable, Equatable {
        public var route: AllowedRoute
        public var line: Int
        public var column: Int
        public var key: String

        public init(route: AllowedRoute, line: Int = 0, column: Int = 0, key: String = "") {
            self.route = route; self.line = line; self.column = column; self.key = key
        }
    }

    /// The first `allowed-routes` entry that lies inside one of the router's link networks, as a profile error:
    /// no announcement under such an entry could pass the router's capture check, so it is a mistake.
    public func allowedRoutesProblem(linkNetworks: [(interface: String, network: IPNetwork)]) -> ProfileError? {
        for peer in peers {
            for entry in peer.allowedRoutes where !entry.route.prefix.isDefaultRoute {
                if let link = linkNetworks.first(where: { $0.network.masked.covers(entry.route.prefix) }) {
                    return ProfileError(file: path, line: entry.line, column: entry.column, key: entry.key,
                                        problem: "\(entry.route.prefix) lies inside \(link.network.masked) of link "
                                            + "\(link.interface): an announcement there would capture the tunnel")
                }
            }
        }
        return nil
    }
}

extension ProfileValidator {
    static let announceKeys = ["prefix", "preference", "while-route"]
    static let allowedRouteKeys = ["prefix", "max-length"]
    /// What fits one ROUTE_ANNOUNCE with room to spare (docs/PROTOCOL.md §14.2).
    static let maximumAnnouncements = 48

    /// The host's `announce`, `router.accept-routes` and `router.accept-default`; the router's `push-routes`,
    /// `preempt-delay` and `max-routes`. Keys of the other role are refused, like the role blocks.
    func routeSettings(_ profile: ProfileMapping, role: Profile.Role,
                       interface: Profile.InterfaceSettings) throws -> Profile.RouteSettings {
        var settings = Profile.RouteSettings()
        let virtualNetwork = interface.address.masked
        switch role {
        case .host:
            for key in ["push-routes", "max-routes"] {
                if let field = profile[key] { throw field.keyError("only a router has \(key); this profile is a host") }
            }
            if let field = profile["announce"] { settings.announce = try announcements(field, virtualNetwork: virtualNetwork) }
            // A host's preempt-delay holds back the move to a better returning router (Profile+Routers.swift).
            if let field = profile["preempt-delay"] {
                settings.preemptDelaySeconds = try field.integer(in: 0...86_400, unit: "seconds")
            }
            if let router = profile["router"], case .mapping = router.node.content {
                let block = try router.mapping(knownKeys: Self.routerKeys)
                if let accept = block["accept-routes"] { settings.acceptance.policy = try acceptRoutes(accept) }
                if let accept = block["accept-default"] { settings.acceptance.acceptDefault = try accept.boolean() }
            }
        case .router:
            if let field = profile["announce"] {
                throw field.keyError("only a host announces prefixes; a router distributes its own with push-routes")
            }
            if let field = profile["push-routes"] {
                settings.pushRoutes = try maskedPrefixes(field, avoiding: virtualNetwork, what: "the virtual network")
            }
            if let field = profile["preempt-delay"] {
                settings.preemptDelaySeconds = try field.integer(in: 0...86_400, unit: "seconds")
            }
            if let field = profile["max-routes"] { settings.maximumRoutesPerPeer = try field.integer(in: 0...4096) }
        }
        return settings
    }

    /// `peers[].allowed-routes`: prefixes or `{prefix, max-length}`.
    func allowedRoutes(_ field: ProfileField, virtualNetwork: IPNetwork?) throws -> [Profile.AllowedRouteEntry] {
        var entries: [Profile.AllowedRouteEntry] = []
        for item in try field.list() {
            var prefixField = item
            var maxLengthField: ProfileField?
            if case .mapping = item.node.content {
                let entry = try item.mapping(knownKeys: Self.allowedRouteKeys)
                prefixField = try entry.required("prefix", "an allowed-routes entry needs a prefix")
                maxLengthField = entry["max-length"]
            }
            let prefix = try maskedPrefix(prefixField)
            // A broad entry (10.0.0.0/8 around a 10.77.0.0/24 virtual network) is fine: the capture check refuses
            // only the announcements that overlap. An entry inside the virtual network could never pass it.
            if let virtualNetwork, virtualNetwork.covers(prefix) {
                throw prefixField.error("\(prefix) lies inside the virtual network \(virtualNetwork) (interface.address): "
                                        + "no announcement there could be accepted")
            }
            let maxLength = try maxLengthField.map {
                try $0.integer(in: prefix.prefixLength...prefix.address.bitWidth,
                               unit: "(from the prefix's own length to /\(prefix.address.bitWidth))")
            }
            if let other = entries.first(where: { $0.route.prefix == prefix }) {
                throw prefixField.error("\(prefix) is listed twice (also \(other.key))")
            }
            entries.append(Profile.AllowedRouteEntry(route: AllowedRoute(prefix: prefix, maxLength: maxLength),
                                                     line: prefixField.valueMark.line,
                                                     column: prefixField.valueMark.column, key: prefixField.path))
        }
        return entries
    }

    private func announcements(_ field: ProfileField, virtualNetwork: IPNetwork) throws -> [Profile.Announcement] {
        let items = try field.list()
        guard items.count <= Self.maximumAnnouncements else {
            throw field.error("\(items.count) prefixes; at most \(Self.maximumAnnouncements) fit one announcement")
        }
        var result: [Profile.Announcement] = []
        for item in items {
            var prefixField = item
            var announcement = Profile.Announcement(prefix: IPNetwork(address: IPAddress(ipv4: 0), prefixLength: 0)!)
            if case .mapping = item.node.content {
                let entry = try item.mapping(knownKeys: Self.announceKeys)
                prefixField = try entry.required("prefix", "an announce entry needs a prefix")
                if let preference = entry["preference"] {
                    announcement.preference = UInt8(try preference.integer(in: 0...255, unit: "(lower is preferred)"))
                }
                if let whileRoute = entry["while-route"] { announcement.whileRoute = try whileRoute.boolean() }
            }
            announcement.prefix = try maskedPrefix(prefixField)
            // The default route (an exit host) overlaps everything; the router decides whether it is listed.
            if !announcement.prefix.isDefaultRoute, announcement.prefix.overlaps(virtualNetwork) {
                throw prefixField.error("\(announcement.prefix) overlaps the virtual network \(virtualNetwork) "
                                        + "(interface.address)")
            }
            if let index = result.firstIndex(where: { $0.prefix == announcement.prefix }) {
                throw prefixField.error("\(announcement.prefix) is listed twice (also \(field.path)[\(index)])")
            }
            result.append(announcement)
        }
        return result
    }

    private func acceptRoutes(_ field: ProfileField) throws -> AcceptRoutes {
        if case .sequence = field.node.content {
            return .list(try field.list().map(maskedPrefix))
        }
        switch try field.string() {
        case "none": return .none
        case "private": return .privateOnly
        case "all": return .all
        case let other: throw field.error("'\(other)' is not none, private, all or a list of prefixes")
        }
    }

    private func maskedPrefixes(_ field: ProfileField, avoiding network: IPNetwork, what: String) throws -> [IPNetwork] {
        var result: [IPNetwork] = []
        for item in try field.list() {
            let prefix = try maskedPrefix(item)
            if prefix.overlaps(network) { throw item.error("\(prefix) overlaps \(what) \(network)") }
            if result.contains(prefix) { throw item.error("\(prefix) is listed twice") }
            result.append(prefix)
        }
        return result
    }

    /// A prefix such as `192.168.50.0/24`, with its length written and no host bits.
    func maskedPrefix(_ field: ProfileField) throws -> IPNetwork {
        let text = try field.string()
        guard text.contains("/"), let prefix = IPNetwork(text) else {
            throw field.error("'\(text)' is not a prefix such as 192.168.50.0/24")
        }
        guard prefix.hasNoHostBits else {
            throw field.error("'\(text)' has host bits set; did you mean \(prefix.masked)?")
        }
        return prefix
    }
}

extension ProfileValidator {
    /// Reads each router peer's `allowed-routes` into the peers already validated (same order as the list).
    func addAllowedRoutes(_ profile: ProfileMapping, to result: inout Profile) throws {
        guard result.role == .router, let peersField = profile["peers"] else { return }
        for (index, item) in try peersField.list().enumerated() where index < result.peers.count {
            let peer = try item.mapping(knownKeys: Self.peerKeys)
            if let field = peer["allowed-routes"] {
                // A router peer's entries bound what is imported via it, its hosts' /32s included.
                let virtualNetwork: IPNetwork? = result.peers[index].role == .router ? nil : result.interface.address.masked
                result.peers[index].allowedRoutes = try allowedRoutes(field, virtualNetwork: virtualNetwork)
            }
        }
    }
}
