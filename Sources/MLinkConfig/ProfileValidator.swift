import MLinkTypes
import MLinkYAML

/// Turns a parsed YAML tree into a `Profile`, enforcing DESIGN.md section 5 and stopping at the first problem.
///
/// Order matters for which problem a user sees first: key spelling, then the fields every profile has, then the
/// role's own block, then checks that relate fields to each other (virtual-ip inside the network, peers that
/// would claim the same addresses).
struct ProfileValidator {
    /// The file name used in errors; also stat'ed for `privateKeyExposed` when the key is inline.
    let file: String
    /// The folder a relative `private-key-file` is read from.
    let directory: String
    /// `interface.name` when the profile leaves it out: the file's base name.
    let defaultInterfaceName: String

    static let profileKeys = ["name", "role", "private-key", "private-key-file", "interface", "links", "mode",
                              "keepalive", "router", "listen-port", "peers", "metrics-listen", "routing",
                              "probe-interval", "probe-bandwidth", "copies", "standby-probe",
                              "policies", "deadline", "target-loss", "max-overhead", "address-pool",
                              "announce", "push-routes", "preempt-delay", "max-routes", "routers"]
    static let interfaceKeys = ["name", "address", "mtu"]
    static let routerKeys = ["public-key", "preshared-key", "endpoints", "virtual-ip", "routes",
                             "accept-routes", "accept-default", "name", "preference"]
    static let peerKeys = ["name", "public-key", "preshared-key", "allowed-ips", "allowed-routes", "role", "endpoints"]

    static let defaultKeepaliveSeconds = 25
    static let defaultProbeIntervalMilliseconds = 100
    static let defaultProbeBandwidth = 4000
    static let defaultListenPort: UInt16 = 7000
    /// Key files are 45 bytes; anything much larger is the wrong file.
    static let maximumKeyFileSize = 4096

    func validate(_ root: YAMLNode) throws -> Profile {
        guard case .mapping = root.content else {
            throw ProfileError(file: file, mark: root.mark, key: "document",
                               problem: "expected a mapping of profile keys, got \(root.foundDescription)")
        }
        let document = ProfileField(file: file, path: "", node: root, keyMark: nil)
        let profile = try ProfileMapping(field: document, knownKeys: Self.profileKeys)

        let name = try profileName(profile.required("name", "a profile needs a name (unique in the virtual network)"))
        let role = try profile["role"].map(self.role) ?? .host
        try checkRoleBlocks(profile, role: role)
        let (privateKey, exposed) = try privateKey(profile)
        let interface = try interfaceSettings(profile.required(
            "interface", "a profile needs an interface block with at least an address"))
        let linkPolicy = try self.linkPolicy(profile)
        let links = linkPolicy.links.map(\.pattern)
        let mode = try profile["mode"].map(self.mode) ?? .redundant
        let keepalive = try profile["keepalive"]?.integer(in: 0...3600, unit: "seconds")
            ?? Self.defaultKeepaliveSeconds

        var router: Profile.RouterReference?
        var listenPort: UInt16?
        var peers: [Profile.PeerSettings] = []
        switch role {
        case .host:
            let routerField = try profile.required("router", "a host needs a router block")
            router = try routerReference(routerField, interface: interface)
        case .router:
            listenPort = try profile["listen-port"].map { UInt16(try $0.integer(in: 1...65535)) }
                ?? Self.defaultListenPort
            peers = try self.peers(profile.required("peers", "a router needs a peers list"))
        }
        let metricsListen = try profile["metrics-listen"].map(self.metricsListen)

        var result = Profile(path: file, name: name, role: role, privateKey: privateKey, interface: interface,
                             links: links, mode: mode, keepaliveSeconds: keepalive, router: router,
                             listenPort: listenPort, peers: peers, metricsListen: metricsListen,
                             privateKeyExposed: exposed)
        result.linkPolicy = linkPolicy
        result.policies = try policySettings(profile)
        result.routing = try profile["routing"].map(routingSettings) ?? Profile.RoutingSettings()
        result.probeIntervalMilliseconds = try profile["probe-interval"]?.integer(in: 20...10_000, unit: "milliseconds")
            ?? Self.defaultProbeIntervalMilliseconds
        result.probeBandwidth = try profile["probe-bandwidth"]?.integer(in: 0...10_000_000, unit: "bytes per second")
            ?? Self.defaultProbeBandwidth
        try applyRouters(profile, to: &result)
        try applyLeases(profile, to: &result)
        result.routes = try routeSettings(profile, role: role, interface: interface)
        try addAllowedRoutes(profile, to: &result)
        return result
    }

    // MARK: - Fields every profile has

    func profileName(_ field: ProfileField) throws -> String {
        let name = try field.string()
        if let problem = NameRules.profileNameProblem(name) { throw field.error(NameRules.sentence(name, problem)) }
        return name
    }

    private func role(_ field: ProfileField) throws -> Profile.Role {
        let text = try field.string()
        guard let role = Profile.Role(rawValue: text) else {
            throw field.error("unknown role '\(text)'; expected host or router")
        }
        return role
    }

    /// A host talks to one router; a router listens and lists its peers. Blocks of the other role are errors,
    /// not ignored, because they usually mean the role line is wrong.
    private func checkRoleBlocks(_ profile: ProfileMapping, role: Profile.Role) throws {
        let roleNote = profile["role"] == nil ? "this profile's role is host (the default)"
                                              : "this profile's role is \(role.rawValue)"
        switch role {
        case .host:
            if let peers = profile["peers"] { throw peers.keyError("only a router has peers; \(roleNote)") }
            if let port = profile["listen-port"] {
                throw port.keyError("only a router listens on a port; \(roleNote)")
            }
            if profile["router"] == nil { throw profile.missing("router", "a host needs a router block") }
        case .router:
            if let router = profile["router"] {
                throw router.keyError("a router has no router block; \(roleNote)")
            }
            if profile["peers"] == nil { throw profile.missing("peers", "a router needs a peers list") }
        }
    }

    /// The key and whether its file lets group or others read it.
    private func privateKey(_ profile: ProfileMapping) throws -> (Key32, Bool) {
        switch (profile["private-key"], profile["private-key-file"]) {
        case (.some, .some(let keyFile)):
            throw keyFile.keyError("give private-key or private-key-file, not both")
        case (.none, .none):
            throw profile.missing("private-key", "a profile needs private-key or private-key-file")
        case (.some(let inline), .none):
            return (try inline.key(), ProfileFile.isExposed(path: file))
        case (.none, .some(let keyFile)):
            let name = try keyFile.string()
            guard !name.isEmpty else { throw keyFile.error("must not be empty") }
            let resolved = name.hasPrefix("/") || directory.isEmpty ? name : "\(directory)/\(name)"
            let bytes: [UInt8]
            switch ProfileFile.read(path: resolved, limit: Self.maximumKeyFileSize) {
            case .success(let contents): bytes = contents
            case .failure(let error): throw keyFile.error("cannot read \(resolved): \(error)")
            }
            var text = String(decoding: bytes, as: UTF8.self)
            while let last = text.last, last == "\n" || last == "\r\n" || last == "\r" { text.removeLast() }
            guard let key = Key32(base64: text) else {
                throw keyFile.error("\(resolved): \(ProfileField.badKeyProblem)")
            }
            return (key, ProfileFile.isExposed(path: resolved))
        }
    }

    private func interfaceSettings(_ field: ProfileField) throws -> Profile.InterfaceSettings {
        let interface = try field.mapping(knownKeys: Self.interfaceKeys)
        let addressField = try interface.required(
            "address", "the interface needs this host's virtual address, e.g. 10.77.0.10/24, or auto")
        let isAuto = isAutoAddress(addressField)
        let address = isAuto ? IPNetwork(address: IPAddress(ipv4: 0), prefixLength: 32)!
                             : try networkWithPrefix(addressField)
        let name: String
        if let nameField = interface["name"] {
            name = try nameField.string()
            if let problem = NameRules.interfaceNameProblem(name) {
                throw nameField.error(NameRules.sentence(name, problem))
            }
        } else {
            name = defaultInterfaceName
            if let problem = NameRules.interfaceNameProblem(name) {
                throw interface.missing(
                    "name", "the default '\(name)' (the file's base name) \(problem); set interface.name")
            }
        }
        let mtu = try interface["mtu"].map { field in
            address.address.isIPv6 ? try field.integer(in: 1280...65535, unit: "(IPv6 needs at least 1280)")
                                   : try field.integer(in: 576...65535)
        }
        var settings = Profile.InterfaceSettings(name: name, address: address, mtu: mtu)
        settings.addressIsAuto = isAuto
        return settings
    }

    func mode(_ field: ProfileField) throws -> Profile.Mode {
        let text = try field.string()
        guard let mode = Profile.Mode(rawValue: text) else {
            let known = Profile.Mode.allCases.map(\.rawValue).joined(separator: " or ")
            throw field.error("unknown mode '\(text)'; expected \(known)")
        }
        return mode
    }

    private func metricsListen(_ field: ProfileField) throws -> Endpoint {
        let endpoint = try self.endpoint(field)
        guard case .address = endpoint.host else {
            throw field.error("'\(try field.string())' names a host; metrics-listen needs a literal IP address, "
                              + "e.g. 127.0.0.1:9477")
        }
        return endpoint
    }

    // MARK: - A host's router block

    func routerReference(_ field: ProfileField,
                                 interface: Profile.InterfaceSettings) throws -> Profile.RouterReference {
        let router = try field.mapping(knownKeys: Self.routerKeys)
        let publicKey = try router.required("public-key", "the router block needs the router's public key").key()

        let endpointsField = try router.required("endpoints", "the router block needs the router's endpoints")
        let endpointFields = try endpointsField.list()
        guard !endpointFields.isEmpty else { throw endpointsField.error("needs at least one HOST:PORT") }
        var endpoints: [Endpoint] = []
        for item in endpointFields {
            let endpoint = try self.endpoint(item)
            if let first = endpoints.firstIndex(of: endpoint) {
                throw item.error("'\(endpoint)' is listed twice (also \(endpointsField.path)[\(first)])")
            }
            endpoints.append(endpoint)
        }

        let virtualIPField = try router.required("virtual-ip", "the router block needs the router's virtual address")
        let virtualIP = try address(virtualIPField)
        guard interface.addressIsAuto || interface.address.contains(virtualIP) else {
            throw virtualIPField.error(
                "\(virtualIP) is outside the virtual network \(interface.address.masked) (interface.address)")
        }
        guard virtualIP != interface.address.address else {
            throw virtualIPField.error("\(virtualIP) is this host's own address (interface.address); give the router's")
        }

        let routes = try router["routes"].map { try $0.list().map(network) } ?? []
        let presharedKey = try router["preshared-key"]?.key()
        return Profile.RouterReference(publicKey: publicKey, presharedKey: presharedKey, endpoints: endpoints,
                                       virtualIP: virtualIP, routes: routes)
    }

    // MARK: - A router's peers

    private func peers(_ field: ProfileField) throws -> [Profile.PeerSettings] {
        let items = try field.list()
        guard !items.isEmpty else { throw field.error("a router needs at least one peer") }
        var peers: [Profile.PeerSettings] = []
        var routerPeers: [Bool] = []
        for item in items {
            let peer = try item.mapping(knownKeys: Self.peerKeys)
            let nameField = try peer.required("name", "a peer needs a name")
            let name = try profileName(nameField)
            if let other = peers.firstIndex(where: { $0.name == name }) {
                throw nameField.error("peer name '\(name)' is already used by \(field.path)[\(other)]")
            }
            let keyField = try peer.required("public-key", "a peer needs its public key")
            let publicKey = try keyField.key()
            if let other = peers.firstIndex(where: { $0.publicKey == publicKey }) {
                throw keyField.error(
                    "peer '\(name)' has the same public key as peer '\(peers[other].name)' (\(field.path)[\(other)])")
            }
            let presharedKey = try peer["preshared-key"]?.key()
            // Without allowed-ips the peer takes a lease (checked against address-pool in applyLeases).
            let allowedField = peer["allowed-ips"]
            let allowedFields = try allowedField?.list() ?? []
            if let allowedField, allowedFields.isEmpty { throw allowedField.error("needs at least one network") }
            var allowedIPs: [IPNetwork] = []
            // A router peer's slice may hold a host of ours (a host on both routers): the longer prefix wins.
            let isRouterPeer = try peer["role"]?.string() == Profile.PeerRole.router.rawValue
            routerPeers.append(isRouterPeer)
            for allowed in allowedFields {
                let network = try self.network(allowed)
                for (otherIndex, other) in peers.enumerated() where routerPeers[otherIndex] == isRouterPeer {
                    if let clash = other.allowedIPs.first(where: { $0.overlaps(network) }) {
                        throw allowed.error("\(network) of peer '\(name)' overlaps \(clash) of peer "
                                            + "'\(other.name)' (\(field.path)[\(otherIndex)])")
                    }
                }
                allowedIPs.append(network)
            }
            peers.append(Profile.PeerSettings(name: name, publicKey: publicKey, presharedKey: presharedKey,
                                              allowedIPs: allowedIPs))
        }
        return peers
    }

    // MARK: - Value forms

    func endpoint(_ field: ProfileField) throws -> Endpoint {
        let text = try field.string()
        if !text.hasPrefix("["), text.filter({ $0 == ":" }).count > 1 {
            throw field.error("'\(text)' is not HOST:PORT: write an IPv6 address in brackets, as [ADDRESS]:PORT")
        }
        switch Endpoint.parse(text) {
        case .success(let endpoint): return endpoint
        case .failure(let error): throw field.error("'\(text)' is not HOST:PORT: \(error)")
        }
    }

    func address(_ field: ProfileField) throws -> IPAddress {
        let text = try field.string()
        guard let address = IPAddress(text) else {
            let hint = text.contains("/") ? " (write it without a prefix length)" : ""
            throw field.error("'\(text)' is not an IP address\(hint)")
        }
        return address
    }

    /// A network such as `192.168.50.0/24`; a bare address means that one address.
    func network(_ field: ProfileField) throws -> IPNetwork {
        let text = try field.string()
        guard let network = IPNetwork(text) else {
            throw field.error("'\(text)' is not a network such as 192.168.50.0/24")
        }
        return network
    }

    /// An address with its prefix length, as an interface is configured: the length is not optional here.
    private func networkWithPrefix(_ field: ProfileField) throws -> IPNetwork {
        let text = try field.string()
        guard text.contains("/"), let network = IPNetwork(text) else {
            throw field.error("'\(text)' is not an address with a prefix length, e.g. 10.77.0.10/24")
        }
        return network
    }
}
