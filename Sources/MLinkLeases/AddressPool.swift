import MLinkTypes

/// The addresses a router may hand out, and the ones it never may (issue 13; PROTOCOL.md §14.1).
///
/// IPv4 only for now. An address is assignable when it lies in `allocate`, is neither the network nor the
/// broadcast address of `prefix`, is not one of the router's own addresses, is not inside an `exclude`
/// network and is not inside any peer's static `allowed-ips`. A reservation (a peer's static host address
/// inside `prefix`) is handed only to its own key, even outside `allocate`.
public struct AddressPool: Sendable, Equatable {
    /// The largest `allocate` range accepted: 2^20 addresses (a /12), so a full scan stays cheap.
    public static let maximumSize: UInt64 = 1 << 20

    /// The virtual network the pool belongs to (host bits clear); its length is the on-link length handed out.
    public let prefix: IPNetwork
    /// The part handed out (host bits clear).
    public let allocate: IPNetwork
    /// Never handed out: `exclude`, the router's own addresses, static allowed-ips.
    public let excluded: [IPNetwork]
    /// Keys with a reserved address.
    public let reservations: [Key32: IPAddress]
    /// How many addresses of `allocate` are assignable at all.
    public let assignableCount: Int

    /// A pool; nil when `prefix` or `allocate` is not IPv4, `allocate` is not inside `prefix` or is larger
    /// than `maximumSize`.
    public init?(prefix: IPNetwork, allocate: IPNetwork? = nil, exclude: [IPNetwork] = [], routerAddresses: [IPAddress],
                 staticNetworks: [IPNetwork] = [], reservations: [Key32: IPAddress] = [:]) {
        let prefix = prefix.masked
        let allocate = (allocate ?? prefix).masked
        guard !prefix.address.isIPv6, !allocate.address.isIPv6, allocate.prefixLength >= prefix.prefixLength,
              prefix.contains(allocate.address), UInt64(1) << UInt64(32 - allocate.prefixLength) <= Self.maximumSize
        else { return nil }
        self.prefix = prefix
        self.allocate = allocate
        excluded = exclude.map(\.masked) + routerAddresses.compactMap { IPNetwork(address: $0, prefixLength: 32) }
            + staticNetworks.map(\.masked)
        self.reservations = reservations
        var count = 0
        let base = allocate.address.ipv4Value
        let size = UInt64(1) << UInt64(32 - allocate.prefixLength)
        var offset: UInt64 = 0
        let excludedNow = excluded
        while offset < size {
            if Self.isAssignable(IPAddress(ipv4: base &+ UInt32(offset)), prefix: prefix, excluded: excludedNow) {
                count += 1
            }
            offset += 1
        }
        assignableCount = count
    }

    /// The number of addresses in `allocate`.
    public var size: UInt64 { UInt64(1) << UInt64(32 - allocate.prefixLength) }

    /// The address at `offset` of `allocate`.
    public func address(at offset: UInt64) -> IPAddress {
        IPAddress(ipv4: allocate.address.ipv4Value &+ UInt32(truncatingIfNeeded: offset))
    }

    /// The offset of `address` inside `allocate`, or nil outside.
    public func offset(of address: IPAddress) -> UInt64? {
        guard allocate.contains(address) else { return nil }
        return UInt64(address.ipv4Value &- allocate.address.ipv4Value)
    }

    /// Candidate `attempt` for `key` (LeaseCandidates).
    public func candidate(for key: Key32, attempt: UInt32) -> IPAddress {
        address(at: LeaseCandidates.offset(key: key, attempt: attempt, size: size))
    }

    /// True when `address` may be leased to `key`: its reservation, or an assignable address while `key` has
    /// no reservation.
    public func mayLease(_ address: IPAddress, to key: Key32) -> Bool {
        if let reserved = reservations[key] { return reserved == address }
        return isAssignable(address)
    }

    /// True when `address` may be handed out to a key without a reservation.
    public func isAssignable(_ address: IPAddress) -> Bool {
        allocate.contains(address) && Self.isAssignable(address, prefix: prefix, excluded: excluded)
    }

    /// The on-link interface address for `address`: `address/prefix length`.
    public func interfaceAddress(_ address: IPAddress) -> IPNetwork {
        IPNetwork(address: address, prefixLength: prefix.prefixLength)!
    }

    static func isAssignable(_ address: IPAddress, prefix: IPNetwork, excluded: [IPNetwork]) -> Bool {
        guard prefix.contains(address) else { return false }
        if prefix.prefixLength < 31 {
            let hostMask: UInt32 = prefix.prefixLength == 0 ? ~0 : ~(~UInt32(0) << UInt32(32 - prefix.prefixLength))
            let host = address.ipv4Value & hostMask
            if host == 0 || host == hostMask { return false }
        }
        return !excluded.contains { $0.contains(address) }
    }
}
