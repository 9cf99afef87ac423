/// An address prefix such as `10.77.0.0/24` or `fd00::/64`: the unit of `allowed-ips` and routes.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The address as written (host bits may be set, as in an interface address `10.77.0.10/24`).
    public let address: IPAddress
    /// Prefix length in bits, 0...32 or 0...128.
    public let prefixLength: Int

    /// A network from an address and a prefix length; nil when the length is out of range for the family.
    public init?(address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0 && prefixLength <= address.bitWidth else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/LENGTH`; a bare address means a host route (/32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let addr = IPAddress(String(parts[0])) else { return nil }
        var length = addr.bitWidth
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                  let l = Int(parts[1]) else { return nil }
            length = l
        }
        self.init(address: addr, prefixLength: length)
    }

    /// The network with host bits cleared (what a route names).
    public var masked: IPNetwork {
        let (h, l) = IPNetwork.mask(prefixLength, ipv6: address.isIPv6)
        let a = address.isIPv6
            ? IPAddress(ipv6High: address.high & h, low: address.low & l)
            : IPAddress(ipv4: address.ipv4Value & UInt32(truncatingIfNeeded: l))
        return IPNetwork(address: a, prefixLength: prefixLength)!
    }

    /// True when `other` lies inside this prefix (same family, same leading bits).
    @inline(__always)
    public func contains(_ other: IPAddress) -> Bool {
        guard other.isIPv6 == address.isIPv6 else { return false }
        let (h, l) = IPNetwork.mask(prefixLength, ipv6: address.isIPv6)
        return (other.high & h) == (address.high & h) && (other.low & l) == (address.low & l)
    }

    /// True when the two prefixes share at least one address.
    public func overlaps(_ other: IPNetwork) -> Bool {
        guard other.address.isIPv6 == address.isIPv6 else { return false }
        return prefixLength <= other.prefixLength ? contains(other.address) : other.contains(address)
    }

    /// The masks for a prefix length as (high, low) words; IPv4 uses the low word's low 32 bits.
    @inline(__always)
    static func mask(_ length: Int, ipv6: Bool) -> (UInt64, UInt64) {
        if !ipv6 {
            let m: UInt64 = length == 0 ? 0 : (0xffff_ffff << UInt64(32 - length)) & 0xffff_ffff
            return (0, m)
        }
        if length == 0 { return (0, 0) }
        if length <= 64 { return (~UInt64(0) << UInt64(64 - length), 0) }
        if length == 128 { return (~0, ~0) }
        return (~0, ~UInt64(0) << UInt64(128 - length))
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension IPNetwork {
    /// True when every address of `other` lies inside this prefix (same family, not shorter).
    public func covers(_ other: IPNetwork) -> Bool {
        other.address.isIPv6 == address.isIPv6 && prefixLength <= other.prefixLength && contains(other.address)
    }

    /// True when the address bits beyond the prefix length are zero.
    public var hasNoHostBits: Bool { masked.address == address }

    /// True for 0.0.0.0/0 and ::/0.
    public var isDefaultRoute: Bool { prefixLength == 0 }
}
