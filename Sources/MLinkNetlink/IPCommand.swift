import MLinkTypes

/// What an `ip` command does to the object it names: `ip route add ...` or `ip route del ...`.
public enum IPCommandVerb: String, Sendable {
    case add
    case delete = "del"
}

/// The single place where routes, rules and addresses are written as `ip` commands, for the `[#] ...` echo of
/// `up`, `check`, `down` and the core's source routing, and (without the leading verb) for netlink error messages.
///
/// The words follow iproute2's own order and spelling, so a line can be pasted into a shell.
enum IPCommandWords {
    /// A table id as `ip` names it: 254 is `main`, 255 `local`, 253 `default`; others are numbers.
    static func table(_ id: UInt32) -> String {
        switch id {
        case 253: return "default"
        case 254: return "main"
        case 255: return "local"
        default: return String(id)
        }
    }

    /// A prefix as `ip` prints it: `default` for a zero-length prefix, the bare address for a host prefix.
    static func prefix(_ network: IPNetwork, hostAsAddress: Bool) -> String {
        if network.prefixLength == 0 { return "default" }
        if hostAsAddress && network.prefixLength == network.address.bitWidth { return "\(network.address)" }
        return "\(network.masked)"
    }

    /// `-6 ` for IPv6 objects, so that `default` and `from all` keep their family.
    static func family(ipv6: Bool) -> String { ipv6 ? "-6 " : "" }
}

extension Route {
    /// The route in `ip route` words after the verb: `DEST [via GW] [dev DEV] [src SRC] [table T] proto P
    /// [metric M]`; `table` is left out for the main table, as `ip` does. `device` names the output link.
    public func ipArguments(device: String?) -> String {
        var words = [IPCommandWords.prefix(destination, hostAsAddress: false)]
        if let gateway { words.append("via \(gateway)") }
        if let device { words.append("dev \(device)") }
        if let source { words.append("src \(source)") }
        if table != 254 { words.append("table \(IPCommandWords.table(table))") }
        words.append("proto \(protocolNumber)")
        if let metric { words.append("metric \(metric)") }
        return words.joined(separator: " ")
    }

    /// The equivalent `ip route` command, such as `ip route add 10.77.0.20/32 dev ml-vm1 proto 109`.
    public func ipCommand(_ verb: IPCommandVerb, device: String?) -> String {
        "ip \(IPCommandWords.family(ipv6: destination.address.isIPv6))route \(verb.rawValue) \(ipArguments(device: device))"
    }
}

extension Rule {
    /// The rule in `ip rule` words after the verb: `from SRC lookup T [suppress_prefixlength N] priority P
    /// [proto P]`; a host source is written as its bare address, no source as `all`.
    public var ipArguments: String {
        var words = ["from \(source.map { IPCommandWords.prefix($0, hostAsAddress: true) } ?? "all")",
                     "lookup \(IPCommandWords.table(table))"]
        if let suppressPrefixLength { words.append("suppress_prefixlength \(suppressPrefixLength)") }
        words.append("priority \(priority)")
        if protocolNumber != 0 { words.append("proto \(protocolNumber)") }
        return words.joined(separator: " ")
    }

    /// The equivalent `ip rule` command, such as `ip rule add from 10.2.0.2 lookup 200 priority 100 proto 109`.
    public func ipCommand(_ verb: IPCommandVerb) -> String {
        "ip \(IPCommandWords.family(ipv6: isIPv6))rule \(verb.rawValue) \(ipArguments)"
    }
}

extension InterfaceAddress {
    /// The equivalent `ip address` command for `network` on `device`, such as
    /// `ip address add 10.77.0.10/24 dev ml-vm0` (the address keeps its host bits).
    public static func ipCommand(_ verb: IPCommandVerb, _ network: IPNetwork, device: String) -> String {
        "ip address \(verb.rawValue) \(network) dev \(device)"
    }
}
