import MLinkTypes

/// A policy routing rule "from SOURCE lookup TABLE": the per-link source routing of DESIGN.md section 2.
///
/// The corresponding kernel message is RTM_NEWRULE. Only source-based table lookups are modelled; rules with
/// other selectors (destination, fwmark, interfaces, `not`) or actions are left out of `RouteNetlink.rules()`,
/// because deleting one through this narrower model could remove a different rule.
public struct Rule: Equatable, Sendable {
    /// The address family: IPv6 rules live in a separate list from IPv4 rules.
    public var isIPv6: Bool
    /// The source prefix to match; nil matches every source ("from all").
    public var source: IPNetwork?
    /// The routing table to look up.
    public var table: UInt32
    /// The rule's position, lower first. When adding, 0 lets the kernel choose (just before the first rule
    /// with a non-zero priority), since the only priority-0 rule should be the kernel's "lookup local".
    public var priority: UInt32
    /// Who installed the rule (FRA_PROTOCOL); 0 means unspecified.
    public var protocolNumber: UInt8
    /// `suppress_prefixlength N` (FRA_SUPPRESS_PREFIXLEN): ignore routes of the table with a prefix of N bits or
    /// fewer. `lookup main suppress_prefixlength 0` uses main for everything but its default route.
    public var suppressPrefixLength: UInt32?

    /// A rule from its fields.
    public init(isIPv6: Bool, source: IPNetwork?, table: UInt32, priority: UInt32,
                protocolNumber: UInt8 = RouteProtocol.mlink, suppressPrefixLength: UInt32? = nil) {
        self.isIPv6 = isIPv6
        self.source = source
        self.table = table
        self.priority = priority
        self.protocolNumber = protocolNumber
        self.suppressPrefixLength = suppressPrefixLength
    }

    /// A rule for traffic from `source`, in the source's family.
    public init(source: IPNetwork, table: UInt32, priority: UInt32, protocolNumber: UInt8 = RouteProtocol.mlink,
                suppressPrefixLength: UInt32? = nil) {
        self.init(isIPv6: source.address.isIPv6, source: source, table: table, priority: priority,
                  protocolNumber: protocolNumber, suppressPrefixLength: suppressPrefixLength)
    }
}
