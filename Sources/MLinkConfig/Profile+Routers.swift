import MLinkTypes
import MLinkYAML

extension Profile {
    /// `peers[].role`: what a router's peer is.
    public enum PeerRole: String, Sendable, Equatable {
        /// A host: it dials us and may only source its allowed-ips.
        case host
        /// Another router of the same virtual network: one mlink session between the two, dialled by the router
        /// with the lower public key (docs/PROTOCOL.md section 5, "Sequence and rules").
        case router
    }

    /// Host: every router, the `router` block first (the preferred one unless a preference says otherwise).
    public var allRouters: [RouterReference] {
        (router.map { [$0] } ?? []) + routers
    }

    /// True when a router with public key `own` dials the router peer with key `other`: the lower key, compared
    /// as 32 bytes from the first, dials; the higher one answers. Both ends reach the same answer from the keys
    /// alone, so two routers never start handshakes against each other.
    public static func dials(own: Key32, peer other: Key32) -> Bool {
        let a = own.bytes, b = other.bytes
        for i in 0..<32 where a[i] != b[i] { return a[i] < b[i] }
        return false
    }

    /// The first router peer this router must dial (its key is lower) but cannot, because the entry lists no
    /// endpoints, as a profile error at the peer's name. `check` and `up` call it with the profile's public key,
    /// which only the protocol module can compute.
    public func routerPeerProblem(ownPublicKey: Key32) -> ProfileError? {
        for (index, peer) in peers.enumerated()
        where peer.role == .router && peer.endpoints.isEmpty && Profile.dials(own: ownPublicKey, peer: peer.publicKey) {
            return ProfileError(file: path, line: peer.line, column: peer.column, key: "peers[\(index)].endpoints",
                                problem: "router peer '\(peer.name)' has a higher public key, so this router dials it "
                                    + "(the lower key dials); give its endpoints")
        }
        return nil
    }
}

extension ProfileValidator {
    /// The default `preference` of a `routers` entry; the `router` block's is 0.
    static let defaultRouterPreference = 100

    /// Issue 16's keys: the host's `routers` list and the `router` block's `name` and `preference`; a router
    /// peer's `role` and `endpoints`. Runs after the role blocks were read.
    func applyRouters(_ profile: ProfileMapping, to result: inout Profile) throws {
        switch result.role {
        case .host:
            try applyHostRouters(profile, to: &result)
        case .router:
            if let field = profile["routers"] {
                throw field.keyError("only a host lists routers; another router is a peer with role: router")
            }
            try applyPeerRoles(profile, to: &result)
        }
    }

    private func applyHostRouters(_ profile: ProfileMapping, to result: inout Profile) throws {
        guard var first = result.router, let firstField = profile["router"] else { return }
        let firstBlock = try firstField.mapping(knownKeys: Self.routerKeys)
        try readNameAndPreference(firstBlock, into: &first, defaultPreference: 0)
        result.router = first
        guard let listField = profile["routers"] else { return }
        let items = try listField.list()
        guard !items.isEmpty else { throw listField.error("needs at least one router, or leave the key out") }
        var known = [(reference: first, path: "the router block")]
        for item in items {
            let block = try item.mapping(knownKeys: Self.routerKeys)
            for key in ["accept-routes", "accept-default"] {
                if let field = block[key] {
                    throw field.keyError("\(key) is set once, in the router block, for every router")
                }
            }
            guard let nameField = block["name"] else {
                throw block.missing("name", "each of routers needs a name (unique among the routers)")
            }
            var reference = try routerReference(item, interface: result.interface)
            try readNameAndPreference(block, into: &reference, defaultPreference: Self.defaultRouterPreference)
            for other in known {
                if other.reference.name == reference.name {
                    throw nameField.error("router name '\(reference.name)' is already used by \(other.path)")
                }
                if other.reference.publicKey == reference.publicKey {
                    throw try block.required("public-key", "").error(
                        "router '\(reference.name)' has the same public key as \(other.path)")
                }
                if other.reference.virtualIP == reference.virtualIP {
                    throw try block.required("virtual-ip", "").error(
                        "\(reference.virtualIP) is already the virtual-ip of \(other.path)")
                }
            }
            known.append((reference, item.path))
            result.routers.append(reference)
        }
    }

    private func readNameAndPreference(_ block: ProfileMapping, into reference: inout Profile.RouterReference,
                                       defaultPreference: Int) throws {
        if let nameField = block["name"] { reference.name = try profileName(nameField) }
        reference.preference = try block["preference"]?.integer(in: 0...255, unit: "(lower is preferred)")
            ?? defaultPreference
    }

    private func applyPeerRoles(_ profile: ProfileMapping, to result: inout Profile) throws {
        guard let peersField = profile["peers"] else { return }
        for (index, item) in try peersField.list().enumerated() where index < result.peers.count {
            let peer = try item.mapping(knownKeys: Self.peerKeys)
            if let roleField = peer["role"] {
                let text = try roleField.string()
                guard let role = Profile.PeerRole(rawValue: text) else {
                    throw roleField.error("unknown role '\(text)'; expected host or router")
                }
                result.peers[index].role = role
            }
            if result.peers[index].role == .router, let nameField = peer["name"] {
                result.peers[index].line = nameField.valueMark.line
                result.peers[index].column = nameField.valueMark.column
            }
            if let endpointsField = peer["endpoints"] {
                guard result.peers[index].role == .router else {
                    throw endpointsField.keyError("only a router peer is dialled; a host dials its router "
                                                  + "(set role: router for another router)")
                }
                var endpoints: [Endpoint] = []
                for field in try endpointsField.list() {
                    let endpoint = try self.endpoint(field)
                    if let first = endpoints.firstIndex(of: endpoint) {
                        throw field.error("'\(endpoint)' is listed twice (also \(endpointsField.path)[\(first)])")
                    }
                    endpoints.append(endpoint)
                }
                guard !endpoints.isEmpty else { throw endpointsField.error("needs at least one HOST:PORT") }
                result.peers[index].endpoints = endpoints
            }
            if result.peers[index].role == .router && result.peers[index].allowedIPs.isEmpty {
                throw peer.missing("allowed-ips", "a router peer needs allowed-ips (at least its virtual address, "
                                   + "e.g. [10.77.0.2/32]); it takes no lease")
            }
        }
    }
}
