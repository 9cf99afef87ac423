import CMnl
import MLinkTypes

/// The end of a request as the kernel reports it: an NLMSG_ERROR (errno 0 is a plain acknowledgement) or a
/// failed dump's NLMSG_DONE.
struct NetlinkStatus: Equatable {
    /// Positive errno, 0 for success.
    var errno: Int32
    /// The extended acknowledgement text (NLMSGERR_ATTR_MSG), if the kernel sent one.
    var message: String?
}

/// Replies and notifications. Each decoder takes one whole message and returns nil for messages of another
/// type, malformed messages, and objects the models cannot represent faithfully.
extension NetlinkMessages {
    // MARK: Links

    /// Decodes an RTM_NEWLINK or RTM_DELLINK message.
    static func parseLink(_ bytes: [UInt8]) -> Link? {
        withMessage(bytes, payloadSize: MemoryLayout<ifinfomsg>.size) { parseLink($0) }
    }

    static func parseLink(_ message: UnsafePointer<nlmsghdr>) -> Link? {
        let type = Int(message.pointee.nlmsg_type)
        guard type == RTM_NEWLINK || type == RTM_DELLINK else { return nil }
        let header = familyHeader(of: message, as: ifinfomsg.self)
        let attributes = AttributeTable(maximumType: Int(__IFLA_MAX) - 1)
        guard attributes.parse(message, headerSize: MemoryLayout<ifinfomsg>.size),
              let name = attributes.string(Int(IFLA_IFNAME)) else { return nil }
        var kind: String?
        if let info = attributes[Int(IFLA_LINKINFO)] {
            let nested = AttributeTable(maximumType: Int(__IFLA_INFO_MAX) - 1)
            if nested.parseNested(info) { kind = nested.string(Int(IFLA_INFO_KIND)) }
        }
        return Link(index: header.ifi_index, name: name, mtu: Int(attributes.uint32(Int(IFLA_MTU)) ?? 0),
                    isUp: header.ifi_flags & UInt32(IFF_UP) != 0,
                    isLoopback: header.ifi_flags & UInt32(IFF_LOOPBACK) != 0,
                    hasCarrier: header.ifi_flags & lowerUpFlag != 0, kind: kind)
    }

    // MARK: Addresses

    /// Decodes an RTM_NEWADDR or RTM_DELADDR message.
    ///
    /// IFA_LOCAL is preferred over IFA_ADDRESS because on point-to-point links the latter is the peer's
    /// address; IFA_FLAGS, when present, replaces the 8-bit flags of the header (it holds the newer ones).
    static func parseAddress(_ bytes: [UInt8]) -> InterfaceAddress? {
        withMessage(bytes, payloadSize: MemoryLayout<ifaddrmsg>.size) { parseAddress($0) }
    }

    static func parseAddress(_ message: UnsafePointer<nlmsghdr>) -> InterfaceAddress? {
        let type = Int(message.pointee.nlmsg_type)
        guard type == RTM_NEWADDR || type == RTM_DELADDR else { return nil }
        let header = familyHeader(of: message, as: ifaddrmsg.self)
        guard header.ifa_family == UInt8(AF_INET) || header.ifa_family == UInt8(AF_INET6) else { return nil }
        let attributes = AttributeTable(maximumType: Int(__IFA_MAX) - 1)
        guard attributes.parse(message, headerSize: MemoryLayout<ifaddrmsg>.size),
              let address = attributes.address(Int(IFA_LOCAL)) ?? attributes.address(Int(IFA_ADDRESS)),
              address.isIPv6 == (header.ifa_family == UInt8(AF_INET6)),
              let network = IPNetwork(address: address, prefixLength: Int(header.ifa_prefixlen)) else { return nil }
        return InterfaceAddress(linkIndex: Int32(bitPattern: header.ifa_index), network: network,
                                scope: header.ifa_scope,
                                flags: attributes.uint32(Int(IFA_FLAGS)) ?? UInt32(header.ifa_flags))
    }

    // MARK: Routes

    /// Decodes an RTM_NEWROUTE or RTM_DELROUTE message of a unicast IPv4 or IPv6 route.
    ///
    /// Other route types and cached clones (RTM_F_CLONED) give nil: see `Route` for why they are not modelled.
    static func parseRoute(_ bytes: [UInt8]) -> Route? {
        withMessage(bytes, payloadSize: MemoryLayout<rtmsg>.size) { parseRoute($0) }
    }

    static func parseRoute(_ message: UnsafePointer<nlmsghdr>) -> Route? {
        let type = Int(message.pointee.nlmsg_type)
        guard type == RTM_NEWROUTE || type == RTM_DELROUTE else { return nil }
        let header = familyHeader(of: message, as: rtmsg.self)
        let isIPv6 = header.rtm_family == UInt8(AF_INET6)
        guard isIPv6 || header.rtm_family == UInt8(AF_INET), header.rtm_type == UInt8(RTN_UNICAST),
              header.rtm_flags & UInt32(RTM_F_CLONED) == 0 else { return nil }
        let attributes = AttributeTable(maximumType: Int(__RTA_MAX.rawValue) - 1)
        guard attributes.parse(message, headerSize: MemoryLayout<rtmsg>.size) else { return nil }
        let unspecified = isIPv6 ? IPAddress(ipv6High: 0, low: 0) : IPAddress(ipv4: 0)
        let address = attributes.address(Int(RTA_DST.rawValue)) ?? unspecified
        guard address.isIPv6 == isIPv6,
              let destination = IPNetwork(address: address, prefixLength: Int(header.rtm_dst_len)) else { return nil }
        return Route(destination: destination,
                     gateway: attributes.address(Int(RTA_GATEWAY.rawValue)),
                     outputLinkIndex: attributes.uint32(Int(RTA_OIF.rawValue)).map { Int32(bitPattern: $0) },
                     table: attributes.uint32(Int(RTA_TABLE.rawValue)) ?? UInt32(header.rtm_table),
                     protocolNumber: header.rtm_protocol,
                     metric: attributes.uint32(Int(RTA_PRIORITY.rawValue)),
                     source: attributes.address(Int(RTA_PREFSRC.rawValue)))
    }

    // MARK: Rules

    /// Decodes an RTM_NEWRULE or RTM_DELRULE message of an IPv4 or IPv6 "from SOURCE lookup TABLE" rule.
    ///
    /// Rules with selectors or actions the model lacks give nil: see `Rule` for why.
    static func parseRule(_ bytes: [UInt8]) -> Rule? {
        withMessage(bytes, payloadSize: MemoryLayout<fib_rule_hdr>.size) { parseRule($0) }
    }

    static func parseRule(_ message: UnsafePointer<nlmsghdr>) -> Rule? {
        let type = Int(message.pointee.nlmsg_type)
        guard type == RTM_NEWRULE || type == RTM_DELRULE else { return nil }
        let header = familyHeader(of: message, as: fib_rule_hdr.self)
        let isIPv6 = header.family == UInt8(AF_INET6)
        guard isIPv6 || header.family == UInt8(AF_INET), header.action == UInt8(FR_ACT_TO_TBL),
              header.dst_len == 0, header.tos == 0, header.flags & UInt32(FIB_RULE_INVERT) == 0 else { return nil }
        let attributes = AttributeTable(maximumType: Int(__FRA_MAX) - 1)
        guard attributes.parse(message, headerSize: MemoryLayout<fib_rule_hdr>.size) else { return nil }
        let unmodelled = [FRA_DST, FRA_IIFNAME, FRA_OIFNAME, FRA_FWMARK, FRA_L3MDEV, FRA_UID_RANGE,
                          FRA_IP_PROTO, FRA_SPORT_RANGE, FRA_DPORT_RANGE]
        guard unmodelled.allSatisfy({ attributes[Int($0)] == nil }) else { return nil }
        var source: IPNetwork?
        if header.src_len > 0 {
            guard let address = attributes.address(Int(FRA_SRC)), address.isIPv6 == isIPv6,
                  let network = IPNetwork(address: address, prefixLength: Int(header.src_len)) else { return nil }
            source = network
        }
        return Rule(isIPv6: isIPv6, source: source,
                    table: attributes.uint32(Int(FRA_TABLE)) ?? UInt32(header.table),
                    priority: attributes.uint32(Int(FRA_PRIORITY)) ?? 0,
                    protocolNumber: attributes.uint8(Int(FRA_PROTOCOL)) ?? 0,
                    suppressPrefixLength: attributes.uint32(Int(FRA_SUPPRESS_PREFIXLEN)).flatMap { $0 == UInt32.max ? nil : $0 })
    }

    // MARK: Notifications

    /// Decodes a link, address or route notification; nil for any other message.
    static func parseEvent(_ bytes: [UInt8]) -> NetlinkEvent? {
        switch messageType(bytes) {
        case Int(RTM_NEWLINK): return parseLink(bytes).map { .linkAdded($0) }
        case Int(RTM_DELLINK): return parseLink(bytes).map { .linkRemoved(index: $0.index, name: $0.name) }
        case Int(RTM_NEWADDR): return parseAddress(bytes).map { .addressAdded($0) }
        case Int(RTM_DELADDR): return parseAddress(bytes).map { .addressRemoved($0) }
        case Int(RTM_NEWROUTE): return parseRoute(bytes).map { .routeAdded($0) }
        case Int(RTM_DELROUTE): return parseRoute(bytes).map { .routeRemoved($0) }
        default: return nil
        }
    }

    // MARK: Status

    /// Decodes an NLMSG_ERROR or NLMSG_DONE message into its status; nil for any other message.
    static func parseStatus(_ bytes: [UInt8]) -> NetlinkStatus? {
        withMessage(bytes, payloadSize: 0) { parseStatus($0) }
    }

    /// Decodes NLMSG_ERROR (struct nlmsgerr) or NLMSG_DONE (an int, possibly negative) with its TLVs.
    ///
    /// The TLVs follow the echoed request, which is only its header when NLM_F_CAPPED is set (we ask for that
    /// with NETLINK_CAP_ACK) and the whole request otherwise; NLM_F_ACK_TLVS says whether there are any.
    static func parseStatus(_ message: UnsafePointer<nlmsghdr>) -> NetlinkStatus? {
        let type = Int32(message.pointee.nlmsg_type)
        let payloadLength = Int(mnl_nlmsg_get_payload_len(message))
        let payload = UnsafeRawPointer(mnl_nlmsg_get_payload(message)!)
        var tlvOffset: Int
        switch type {
        case NLMSG_ERROR:
            guard payloadLength >= MemoryLayout<nlmsgerr>.size else { return nil }
            tlvOffset = MemoryLayout<nlmsgerr>.size
            if message.pointee.nlmsg_flags & UInt16(NLM_F_CAPPED) == 0 {
                let echoed = payload.loadUnaligned(fromByteOffset: MemoryLayout<Int32>.size, as: nlmsghdr.self)
                tlvOffset += Int(echoed.nlmsg_len) - MemoryLayout<nlmsghdr>.size
            }
        case NLMSG_DONE:
            guard payloadLength >= MemoryLayout<Int32>.size else { return NetlinkStatus(errno: 0) }
            tlvOffset = MemoryLayout<Int32>.size
        default:
            return nil
        }
        let code = payload.loadUnaligned(as: Int32.self)
        var status = NetlinkStatus(errno: code < 0 ? -code : code)
        if message.pointee.nlmsg_flags & UInt16(NLM_F_ACK_TLVS) != 0, tlvOffset <= payloadLength {
            let attributes = AttributeTable(maximumType: Int(NLMSGERR_ATTR_MAX.rawValue))
            if attributes.parse(message, headerSize: tlvOffset) {
                status.message = attributes.string(Int(NLMSGERR_ATTR_MSG.rawValue))
            }
        }
        return status
    }
}
