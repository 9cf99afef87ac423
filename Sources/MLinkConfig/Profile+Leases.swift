import MLinkLeases
import MLinkTypes
import MLinkYAML

extension Profile {
    /// A router's `address-pool`: the addresses it leases to peers without `allowed-ips` and to hosts whose
    /// profile says `interface.address: auto` (issue 13; PROTOCOL.md §14.1).
    public struct AddressPoolSettings: Sendable, Equatable {
        /// `address-pool.prefix`: the part of the virtual network leases come from (host bits clear); its length
        /// is the on-link length handed to hosts.
        public var prefix: IPNetwork
        /// `address-pool.allocate`: the part handed out (default: all of `prefix`).
        public var allocate: IPNetwork
        /// `address-pool.exclude`: never handed out.
        public var exclude: [IPNetwork]
        /// `address-pool.lease-time` in seconds (default 1 h).
        public var leaseSeconds: UInt64
        /// `address-pool.hold` in seconds: how long an expired binding stays reserved for its key (default 30 d).
        public var holdSeconds: UInt64

        public init(prefix: IPNetwork, allocate: IPNetwork? = nil, exclude: [IPNetwork] = [], leaseSeconds: UInt64 = 3600,
                    holdSeconds: UInt64 = 30 * 86_400) {
            self.prefix = prefix; self.allocate = allocate ?? prefix; self.exclude = exclude
            self.leaseSeconds = leaseSeconds; self.holdSeconds = holdSeconds
        }
    }

    /// The allocator for this router profile: the pool with the router's address, every peer's static
    /// allowed-ips excluded, and reservations (a peer's static host address inside the pool prefix); nil
    /// without `address-pool`.
    public var leasePool: AddressPool? {
        guard let settings = addressPool else { return nil }
        var reservations: [Key32: IPAddress] = [:]
        for peer in peers {
            if let reserved = peer.allowedIPs.first(where: {
                $0.prefixLength == $0.address.bitWidth && settings.prefix.contains($0.address)
            }) {
                reservations[peer.publicKey] = reserved.address
            }
        }
        // Router peers (issue 16) route whole slices: only their own addresses are off limits, and their
        // bindings arrive in LEASE_SYNC (PROTOCOL.md §14.4).
        let hostPeers = peers.filter { $0.role != .router }
        let routerPeerAddresses = peers.filter { $0.role == .router }.flatMap(\.allowedIPs)
            .filter { $0.prefixLength == $0.address.bitWidth }.map(\.address)
        return AddressPool(prefix: settings.prefix, allocate: settings.allocate, exclude: settings.exclude,
                           routerAddresses: [interface.address.address] + routerPeerAddresses,
                           staticNetworks: hostPeers.flatMap(\.allowedIPs),
                           reservations: reservations.filter { key, _ in hostPeers.contains { $0.publicKey == key } })
    }

    /// The peers that take a lease: those without `allowed-ips` and those with a reservation in the pool.
    public var leasePeerKeys: Set<Key32> {
        guard let settings = addressPool else { return [] }
        return Set(peers.filter { peer in
            peer.role != .router && (peer.allowedIPs.isEmpty || peer.allowedIPs.contains {
                $0.prefixLength == $0.address.bitWidth && settings.prefix.contains($0.address)
            })
        }.map(\.publicKey))
    }
}

extension ProfileValidator {
    static let addressPoolKeys = ["prefix", "allocate", "exclude", "lease-time", "hold"]

    /// `interface.address: auto`: true for the word `auto` (plain), which only a host may use.
    func isAutoAddress(_ field: ProfileField) -> Bool {
        if case .scalar("auto", isPlain: true) = field.node.content { return true }
        return false
    }

    /// The lease-related checks that relate blocks to each other, run once the rest is valid: `address: auto`
    /// only on a host (its placeholder address becomes the router's virtual IP /32 until a lease arrives),
    /// `address-pool` only on a router and inside its network, and peers without `allowed-ips` only with a pool.
    func applyLeases(_ profile: ProfileMapping, to result: inout Profile) throws {
        let interface = try profile.required("interface", "").mapping(knownKeys: Self.interfaceKeys)
        if result.interface.addressIsAuto {
            guard result.role == .host, let router = result.router else {
                throw try interface.required("address", "").error(
                    "auto is for hosts (a lease from the router's address-pool); a router needs its own address, "
                    + "e.g. 10.77.0.1/24")
            }
            result.interface.address = IPNetwork(address: router.virtualIP, prefixLength: router.virtualIP.bitWidth)!
        }
        if let poolField = profile["address-pool"] {
            guard result.role == .router else {
                throw poolField.keyError("only a router has an address-pool; a host takes a lease with "
                                         + "interface.address: auto")
            }
            result.addressPool = try addressPool(poolField, network: result.interface.address)
            try checkPool(poolField, profile: result)
        } else if let peersField = profile["peers"] {
            for (index, peer) in result.peers.enumerated() where peer.allowedIPs.isEmpty {
                let item = try peersField.list()[index]
                throw try item.mapping(knownKeys: Self.peerKeys).missing(
                    "allowed-ips", "a peer needs the addresses it may use, e.g. [10.77.0.10/32], unless the router "
                    + "has an address-pool to lease from")
            }
        }
    }

    private func addressPool(_ field: ProfileField, network: IPNetwork) throws -> Profile.AddressPoolSettings {
        let pool = try field.mapping(knownKeys: Self.addressPoolKeys)
        let prefixField = try pool.required("prefix", "the pool needs a prefix inside the virtual network, e.g. 10.77.0.0/24")
        let prefix = try poolNetwork(prefixField)
        let virtualNetwork = network.masked
        guard !prefix.address.isIPv6 else { throw prefixField.error("IPv6 pools are not supported yet; give an IPv4 prefix") }
        guard virtualNetwork.prefixLength <= prefix.prefixLength, virtualNetwork.contains(prefix.address) else {
            throw prefixField.error("\(prefix) is outside the virtual network \(virtualNetwork) (interface.address)")
        }
        var settings = Profile.AddressPoolSettings(prefix: prefix)
        if let allocateField = pool["allocate"] {
            let allocate = try poolNetwork(allocateField)
            guard prefix.prefixLength <= allocate.prefixLength, prefix.contains(allocate.address) else {
                throw allocateField.error("\(allocate) is outside the pool \(prefix) (address-pool.prefix)")
            }
            settings.allocate = allocate
        }
        guard settings.allocate.prefixLength >= 12 else {
            throw (pool["allocate"] ?? prefixField).error("\(settings.allocate) is larger than a /12 (2^20 addresses); "
                                                          + "give a smaller allocate range")
        }
        if let excludeField = pool["exclude"] {
            for item in try excludeField.list() {
                let excluded = try poolNetwork(item)
                guard prefix.overlaps(excluded), excluded.prefixLength >= prefix.prefixLength else {
                    throw item.error("\(excluded) is outside the pool \(prefix) (address-pool.prefix)")
                }
                settings.exclude.append(excluded)
            }
        }
        if let lease = pool["lease-time"] {
            settings.leaseSeconds = try lease.duration(in: 10...(30 * 86_400))
        }
        if let hold = pool["hold"] {
            settings.holdSeconds = try hold.duration(in: 0...(365 * 86_400))
        }
        return settings
    }

    /// What only the whole profile can show: a pool with no address left once the router's own, the static
    /// ones and `exclude` are taken out, and a reservation that `exclude` or the router's address hides.
    private func checkPool(_ field: ProfileField, profile: Profile) throws {
        guard let settings = profile.addressPool, let pool = profile.leasePool else {
            throw field.error("the pool cannot be built")
        }
        for (key, reserved) in pool.reservations {
            let peer = profile.peers.first { $0.publicKey == key }!
            if let excluded = settings.exclude.first(where: { $0.contains(reserved) }) {
                throw field.error("peer '\(peer.name)' has the reserved address \(reserved), inside exclude \(excluded)")
            }
        }
        let takers = profile.peers.filter(\.allowedIPs.isEmpty).count
        if pool.assignableCount == 0 && takers > 0 {
            throw field.error("no free address in \(settings.allocate) once the network and broadcast addresses, the "
                              + "router's address, exclude and every peer's allowed-ips are taken out")
        }
    }

    /// A pool network: host bits must be clear, because a pool is a range, not an address.
    private func poolNetwork(_ field: ProfileField) throws -> IPNetwork {
        let text = try field.string()
        guard let network = IPNetwork(text) else {
            throw field.error("'\(text)' is not a network such as 10.77.0.0/24")
        }
        guard network == network.masked else {
            throw field.error("'\(text)' has host bits set; did you mean \(network.masked)?")
        }
        return network
    }
}

extension ProfileField {
    /// A duration: a plain number of seconds, or a number with `s`, `m`, `h` or `d` (`90s`, `30m`, `1h`, `7d`).
    func duration(in range: ClosedRange<UInt64>) throws -> UInt64 {
        let text = try string()
        var digits = Substring(text)
        var unit: UInt64 = 1
        if let last = digits.last, !last.isNumber {
            switch last {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            default: throw error("'\(text)' is not a duration such as 90s, 30m, 1h or 7d")
            }
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt64(digits),
              value <= UInt64.max / unit else {
            throw error("'\(text)' is not a duration such as 90s, 30m, 1h or 7d")
        }
        let seconds = value * unit
        guard range.contains(seconds) else {
            throw error("\(text) is not in \(range.lowerBound)...\(range.upperBound) seconds")
        }
        return seconds
    }
}
