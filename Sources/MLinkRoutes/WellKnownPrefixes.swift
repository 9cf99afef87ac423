import MLinkTypes

/// Address ranges the route checks name: martians (never routed through the tunnel) and private space (what a host
/// accepts by default).
public enum WellKnownPrefixes {
    /// Multicast, loopback, link-local, "this network" and reserved space. A prefix inside one is refused
    /// (verdict 7); the default route is refused separately unless an `allowed-routes` entry lists it.
    public static let martians: [IPNetwork] = [
        "0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "fe80::/10", "ff00::/8",
    ].map { IPNetwork($0)! }

    /// RFC 1918, the shared address space of RFC 6598 (100.64.0.0/10) and IPv6 unique local addresses: what
    /// `accept-routes: private` takes.
    public static let privateSpace: [IPNetwork] = [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7",
    ].map { IPNetwork($0)! }

    /// True when `prefix` lies inside one of `ranges` (equal counts as inside).
    public static func prefix(_ prefix: IPNetwork, isInside ranges: [IPNetwork]) -> Bool {
        ranges.contains { $0.covers(prefix) }
    }
}
