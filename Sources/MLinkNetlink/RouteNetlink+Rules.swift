import MLinkSystem

extension RouteNetlink {
    /// The IPv4 and IPv6 "from SOURCE lookup TABLE" rules. The corresponding kernel message is RTM_GETRULE
    /// (a dump).
    ///
    /// Rules with other selectors or actions are left out; see `Rule`.
    public func rules() throws -> [Rule] {
        try socket.exchange({ NetlinkMessages.getRules(sequence: $0) }, operation: "list rules")
            .compactMap(NetlinkMessages.parseRule)
    }

    /// Adds a rule; EEXIST when an identical one is there. The corresponding kernel message is RTM_NEWRULE.
    ///
    /// FRA_PROTOCOL arrived in kernel 4.17. Older kernels ignore the attribute (the rule then lists with
    /// protocol 0); a kernel that rejects it with EINVAL gets the rule again without it, because an untagged
    /// rule still routes correctly while no rule at all breaks the link.
    public func addRule(_ rule: Rule) throws {
        try withProtocolFallback(rule) { includeProtocol in
            _ = try socket.exchange({ NetlinkMessages.newRule(rule, includeProtocol: includeProtocol, sequence: $0) },
                                    operation: "add rule \(describe(rule))")
        }
    }

    /// Deletes a rule, with the same FRA_PROTOCOL fallback as `addRule`. The corresponding kernel message is
    /// RTM_DELRULE.
    public func deleteRule(_ rule: Rule) throws {
        try withProtocolFallback(rule) { includeProtocol in
            _ = try socket.exchange({ NetlinkMessages.deleteRule(rule, includeProtocol: includeProtocol, sequence: $0) },
                                    operation: "delete rule \(describe(rule))")
        }
    }

    private func withProtocolFallback(_ rule: Rule, _ body: (Bool) throws -> Void) throws {
        do {
            try body(true)
        } catch let error as NetlinkError where error.code == .invalidArgument && rule.protocolNumber != 0 {
            try body(false)
        }
    }

    /// The rule in `ip rule` words, for error messages.
    func describe(_ rule: Rule) -> String {
        IPCommandWords.family(ipv6: rule.isIPv6) + rule.ipArguments
    }
}
