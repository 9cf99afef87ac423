import MLinkConfig
import MLinkNetlink
import MLinkSystem
import MLinkTypes

/// A local interface address mlink may send from: one socket each.
public struct UsableLink: Equatable, Sendable {
    public var name: String
    public var index: Int32
    public var address: IPAddress
    public var mtu: Int
    /// The address's prefix length (its on-link network).
    public var prefixLength: Int

    /// The address with its prefix, as `ip address` shows it.
    public var network: IPNetwork {
        IPNetwork(address: address, prefixLength: prefixLength) ?? IPNetwork(address: address, prefixLength: address.bitWidth)!
    }
}

/// Which local interfaces and addresses a profile allows, as the kernel reports them now.
///
/// Loopback, TUN devices (ours included) and link-local IPv6 addresses are never used: a tunnel inside a tunnel
/// would loop, and link-local addresses need a scope the profile cannot give.
public enum LinkInventory {
    /// The usable (link, address) pairs: at most one IPv4 and one IPv6 address per link.
    public static func usableLinks(patterns: [String], excluding ownInterface: String,
                                   netlink: RouteNetlink) throws -> [UsableLink] {
        let links = try netlink.links()
        let addresses = try netlink.addresses()
        var result: [UsableLink] = []
        for link in links where link.isUp && link.name != ownInterface && isAllowed(link, patterns: patterns) {
            var haveV4 = false, haveV6 = false
            for entry in addresses where entry.linkIndex == link.index {
                let address = entry.network.address
                if address.isIPv6 {
                    if haveV6 || isLinkLocal(address) { continue }
                    haveV6 = true
                } else {
                    if haveV4 { continue }
                    haveV4 = true
                }
                result.append(UsableLink(name: link.name, index: link.index, address: address, mtu: link.mtu,
                                          prefixLength: entry.network.prefixLength))
            }
        }
        return result
    }

    /// True when the profile's `links` patterns (empty: all) allow `link`; loopback and TUN devices never.
    public static func isAllowed(_ link: Link, patterns: [String]) -> Bool {
        !link.isLoopback && link.kind != "tun" && (patterns.isEmpty || patterns.contains { Glob.matches($0, link.name) })
    }

    static func isLinkLocal(_ address: IPAddress) -> Bool {
        address.isIPv6 && (address.high >> 54) == 0x3fa  // fe80::/10
    }
}
