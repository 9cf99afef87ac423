/// A link's role and cost as the engine plans copies with them (the profile's `links[].role`, `metered`, and
/// what a spent budget turned them into).
///
/// Kept per peer and per host-side link number (the high byte of a path id): on a host, peer 0's table holds our
/// own links; on a router, each peer's table holds that host's links, as the host announces them.
public struct LinkPolicy: Equatable, Sendable {
    /// Lower raw value = preferred.
    public enum Role: UInt8, Sendable, Comparable {
        case primary = 0, secondary = 1, backup = 2, never = 3

        public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
    }

    public var role: Role
    /// The link costs by the byte: as a backup it is kept cold (probed at the keepalive, not `standby-probe`).
    public var metered: Bool

    public init(role: Role = .primary, metered: Bool = false) {
        self.role = role
        self.metered = metered
    }

    /// Every link a primary, unmetered: today's behaviour.
    public static let primary = LinkPolicy()

    /// A metered backup: probed only at the keepalive interval.
    @inline(__always)
    var isCold: Bool { role == .backup && metered }
}

/// How a bundle spreads packets (the profile's `mode`).
public enum BundleMode: Sendable {
    /// Copies on every link (at most `copies`), backups only when no better link is up.
    case redundant
    /// All data on the best link of the highest role.
    case failover
}

extension TunnelEngine {
    /// Sets the role and cost of our link at `slot` (host: what copies and probes follow; a router's own links
    /// have no roles). Takes effect for the next packet.
    public func setLinkPolicy(_ policy: LinkPolicy, slot: Int) {
        for peer in peers where peer.dials { peer.setLinkPolicy(policy, link: slot & 0xff) }
    }
}

extension Peer {
    /// Sets the policy of host-side link `link` (0...255).
    func setLinkPolicy(_ policy: LinkPolicy, link: Int) {
        if linkPolicies[link] != policy { rolesDirty = true }
        linkPolicies[link] = policy
        hasLinkPolicies = linkPolicies.contains { $0 != .primary }
    }
}
