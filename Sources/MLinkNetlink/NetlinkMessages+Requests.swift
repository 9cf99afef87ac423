import CMnl
import MLinkTypes

/// Requests. Each returns one complete message; `sequence` is the caller's, so tests can pin it to a recording.
extension NetlinkMessages {
    // MARK: Dumps

    /// Asks for every link. The corresponding kernel message is RTM_GETLINK with NLM_F_DUMP; statistics are
    /// skipped (RTEXT_FILTER_SKIP_STATS) because they double the reply size and mlink reads none of them.
    static func getLinks(sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_GETLINK), flags: request | dump, sequence: sequence) { message in
            putFamilyHeader(ifinfomsg(), into: message)
            putUInt32(UInt32(RTEXT_FILTER_SKIP_STATS), type: Int(IFLA_EXT_MASK), into: message)
        }
    }

    /// Asks for one link by name. The corresponding kernel message is RTM_GETLINK with IFLA_IFNAME; the ACK
    /// flag makes the kernel end the exchange with an acknowledgement, like every other request here.
    static func getLink(named name: String, sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_GETLINK), flags: request | acknowledge, sequence: sequence) { message in
            putFamilyHeader(ifinfomsg(), into: message)
            putUInt32(UInt32(RTEXT_FILTER_SKIP_STATS), type: Int(IFLA_EXT_MASK), into: message)
            mnl_attr_put_strz(message, UInt16(IFLA_IFNAME), name)
        }
    }

    /// Asks for every IPv4 and IPv6 address. The corresponding kernel message is RTM_GETADDR with NLM_F_DUMP.
    static func getAddresses(sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_GETADDR), flags: request | dump, sequence: sequence) { message in
            putFamilyHeader(ifaddrmsg(), into: message)
        }
    }

    /// Asks for every route of every family and table. The corresponding kernel message is RTM_GETROUTE with
    /// NLM_F_DUMP; tables are filtered on our side because kernel-side filtering needs strict checking (4.20+).
    static func getRoutes(sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_GETROUTE), flags: request | dump, sequence: sequence) { message in
            putFamilyHeader(rtmsg(), into: message)
        }
    }

    /// Asks for the routes of one table, every family. The corresponding kernel message is RTM_GETROUTE with
    /// NLM_F_DUMP and RTA_TABLE. A socket with strict checking (NETLINK_GET_STRICT_CHK, Linux 4.20+) gets only
    /// that table, however large the others are; without it the kernel ignores the filter and sends every
    /// table, so the caller filters the reply too.
    static func getRoutes(table: UInt32, sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_GETROUTE), flags: request | dump, sequence: sequence) { message in
            var header = rtmsg()
            header.rtm_table = table < 256 ? UInt8(table) : UInt8(RT_TABLE_UNSPEC.rawValue)
            putFamilyHeader(header, into: message)
            putUInt32(table, type: Int(RTA_TABLE.rawValue), into: message)
        }
    }

    /// Asks for every rule of every family. The corresponding kernel message is RTM_GETRULE with NLM_F_DUMP.
    static func getRules(sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_GETRULE), flags: request | dump, sequence: sequence) { message in
            putFamilyHeader(fib_rule_hdr(), into: message)
        }
    }

    // MARK: Links

    /// Sets a link up or down, touching no other flag. The corresponding kernel message is RTM_NEWLINK with
    /// ifi_change = IFF_UP (what `ip link set dev X up` sends).
    static func setLink(index: Int32, up: Bool, sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_NEWLINK), flags: request | acknowledge, sequence: sequence) { message in
            var header = ifinfomsg()
            header.ifi_index = index
            header.ifi_flags = up ? UInt32(IFF_UP) : 0
            header.ifi_change = UInt32(IFF_UP)
            putFamilyHeader(header, into: message)
        }
    }

    /// Sets a link's MTU. The corresponding kernel message is RTM_NEWLINK with IFLA_MTU.
    static func setLink(index: Int32, mtu: Int, sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_NEWLINK), flags: request | acknowledge, sequence: sequence) { message in
            var header = ifinfomsg()
            header.ifi_index = index
            putFamilyHeader(header, into: message)
            putUInt32(UInt32(truncatingIfNeeded: mtu), type: Int(IFLA_MTU), into: message)
        }
    }

    /// Deletes a link. The corresponding kernel message is RTM_DELLINK.
    static func deleteLink(index: Int32, sequence: UInt32) -> [UInt8] {
        build(type: Int(RTM_DELLINK), flags: request | acknowledge, sequence: sequence) { message in
            var header = ifinfomsg()
            header.ifi_index = index
            putFamilyHeader(header, into: message)
        }
    }

    // MARK: Addresses

    /// Assigns an address, failing if it exists. The corresponding kernel message is RTM_NEWADDR.
    ///
    /// IFA_LOCAL and IFA_ADDRESS both carry the address (on point-to-point links such as TUN, IFA_ADDRESS
    /// would be the peer; equal means "no peer"). IPv6 addresses get IFA_F_NODAD: the tunnel's addresses are
    /// assigned by the profile, and waiting for duplicate detection would leave them unbindable for a second.
    static func newAddress(_ network: IPNetwork, linkIndex: Int32, sequence: UInt32) -> [UInt8] {
        addressMessage(type: Int(RTM_NEWADDR), flags: request | acknowledge | createExclusive,
                       network: network, linkIndex: linkIndex,
                       addressFlags: network.address.isIPv6 ? UInt8(IFA_F_NODAD) : 0, sequence: sequence)
    }

    /// Removes an address. The corresponding kernel message is RTM_DELADDR.
    static func deleteAddress(_ network: IPNetwork, linkIndex: Int32, sequence: UInt32) -> [UInt8] {
        addressMessage(type: Int(RTM_DELADDR), flags: request | acknowledge, network: network,
                       linkIndex: linkIndex, addressFlags: 0, sequence: sequence)
    }

    private static func addressMessage(type: Int, flags: UInt16, network: IPNetwork, linkIndex: Int32,
                                       addressFlags: UInt8, sequence: UInt32) -> [UInt8] {
        build(type: type, flags: flags, sequence: sequence) { message in
            var header = ifaddrmsg()
            header.ifa_family = family(of: network.address)
            header.ifa_prefixlen = UInt8(network.prefixLength)
            header.ifa_flags = addressFlags
            header.ifa_index = UInt32(bitPattern: linkIndex)
            putFamilyHeader(header, into: message)
            putBytes(network.address.bytes, type: Int(IFA_LOCAL), into: message)
            putBytes(network.address.bytes, type: Int(IFA_ADDRESS), into: message)
        }
    }

    // MARK: Routes

    /// Adds a unicast route, failing if it exists. The corresponding kernel message is RTM_NEWROUTE.
    ///
    /// Like `ip`, an IPv4 route without a gateway gets link scope (the destination is on the link) and every
    /// other route universe scope; table ids above 255 go in RTA_TABLE with rtm_table = RT_TABLE_UNSPEC.
    static func newRoute(_ route: Route, sequence: UInt32) -> [UInt8] {
        let linkScope = !route.destination.address.isIPv6 && route.gateway == nil
        let scope = linkScope ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE
        return routeMessage(type: Int(RTM_NEWROUTE), flags: request | acknowledge | createExclusive,
                            route: route, scope: UInt8(scope.rawValue), sequence: sequence)
    }

    /// Deletes a unicast route. The corresponding kernel message is RTM_DELROUTE.
    ///
    /// Scope is RT_SCOPE_NOWHERE (match any), and the protocol is sent, so the kernel only deletes a route
    /// that the same originator installed.
    static func deleteRoute(_ route: Route, sequence: UInt32) -> [UInt8] {
        routeMessage(type: Int(RTM_DELROUTE), flags: request | acknowledge, route: route,
                     scope: UInt8(RT_SCOPE_NOWHERE.rawValue), sequence: sequence)
    }

    private static func routeMessage(type: Int, flags: UInt16, route: Route, scope: UInt8,
                                     sequence: UInt32) -> [UInt8] {
        build(type: type, flags: flags, sequence: sequence) { message in
            let destination = route.destination.masked
            var header = rtmsg()
            header.rtm_family = family(of: destination.address)
            header.rtm_dst_len = UInt8(destination.prefixLength)
            header.rtm_table = route.table < 256 ? UInt8(route.table) : UInt8(RT_TABLE_UNSPEC.rawValue)
            header.rtm_protocol = route.protocolNumber
            header.rtm_scope = scope
            header.rtm_type = UInt8(RTN_UNICAST)
            putFamilyHeader(header, into: message)
            if destination.prefixLength > 0 {
                putBytes(destination.address.bytes, type: Int(RTA_DST.rawValue), into: message)
            }
            if route.table >= 256 { putUInt32(route.table, type: Int(RTA_TABLE.rawValue), into: message) }
            if let metric = route.metric { putUInt32(metric, type: Int(RTA_PRIORITY.rawValue), into: message) }
            if let source = route.source { putBytes(source.bytes, type: Int(RTA_PREFSRC.rawValue), into: message) }
            if let gateway = route.gateway { putBytes(gateway.bytes, type: Int(RTA_GATEWAY.rawValue), into: message) }
            if let index = route.outputLinkIndex {
                putUInt32(UInt32(bitPattern: index), type: Int(RTA_OIF.rawValue), into: message)
            }
        }
    }

    // MARK: Rules

    /// Adds a rule "from SOURCE lookup TABLE", failing if an identical one exists. The corresponding kernel
    /// message is RTM_NEWRULE.
    ///
    /// `includeProtocol` exists for the EINVAL fallback in `RouteNetlink.addRule`: FRA_PROTOCOL is from kernel
    /// 4.17. Priority 0 is left out so that the kernel picks one.
    static func newRule(_ rule: Rule, includeProtocol: Bool = true, sequence: UInt32) -> [UInt8] {
        ruleMessage(type: Int(RTM_NEWRULE), flags: request | acknowledge | createExclusive, rule: rule,
                    includeProtocol: includeProtocol, sequence: sequence)
    }

    /// Deletes a rule. The corresponding kernel message is RTM_DELRULE; the kernel deletes the first rule that
    /// matches every field sent, so a priority of 0 (not sent) matches any priority.
    static func deleteRule(_ rule: Rule, includeProtocol: Bool = true, sequence: UInt32) -> [UInt8] {
        ruleMessage(type: Int(RTM_DELRULE), flags: request | acknowledge, rule: rule,
                    includeProtocol: includeProtocol, sequence: sequence)
    }

    private static func ruleMessage(type: Int, flags: UInt16, rule: Rule, includeProtocol: Bool,
                                    sequence: UInt32) -> [UInt8] {
        build(type: type, flags: flags, sequence: sequence) { message in
            var header = fib_rule_hdr()
            header.family = UInt8(rule.isIPv6 ? AF_INET6 : AF_INET)
            header.src_len = UInt8(rule.source?.prefixLength ?? 0)
            header.table = rule.table < 256 ? UInt8(rule.table) : UInt8(RT_TABLE_UNSPEC.rawValue)
            header.action = UInt8(FR_ACT_TO_TBL)
            putFamilyHeader(header, into: message)
            if let source = rule.source?.masked, source.prefixLength > 0 {
                putBytes(source.address.bytes, type: Int(FRA_SRC), into: message)
            }
            if rule.table >= 256 { putUInt32(rule.table, type: Int(FRA_TABLE), into: message) }
            if rule.priority != 0 { putUInt32(rule.priority, type: Int(FRA_PRIORITY), into: message) }
            if includeProtocol && rule.protocolNumber != 0 {
                mnl_attr_put_u8(message, UInt16(FRA_PROTOCOL), rule.protocolNumber)
            }
            if let suppress = rule.suppressPrefixLength { putUInt32(suppress, type: Int(FRA_SUPPRESS_PREFIXLEN), into: message) }
        }
    }
}
