import MLinkTypes

/// A host's lease: its address, the timers, and the router that issued it; saved in `STATE_DIR/lease`.
public struct HostLease: Hashable, Sendable {
    /// The address with the on-link prefix length, as configured on the TUN device.
    public var address: IPNetwork
    /// Unix seconds when the router's answer arrived.
    public var obtained: UInt64
    /// Unix seconds: renew (T1).
    public var renewAt: UInt64
    /// Unix seconds: rebind (T2).
    public var rebindAt: UInt64
    /// Unix seconds: the end of the lease; the address is removed then.
    public var expires: UInt64
    /// The issuing router's public key.
    public var router: Key32

    public init(address: IPNetwork, obtained: UInt64, renewAt: UInt64, rebindAt: UInt64, expires: UInt64,
                router: Key32) {
        self.address = address; self.obtained = obtained; self.renewAt = renewAt; self.rebindAt = rebindAt
        self.expires = expires; self.router = router
    }

    /// The lease an ASSIGN grants, received at `now` from `router`; nil for a refusal.
    public init?(assign: AddressAssign, now: UInt64, router: Key32) {
        guard assign.reason.carriesAddresses, let item = assign.items.item(ipv6: false), let network = item.network
        else { return nil }
        self.init(address: network, obtained: now, renewAt: now + UInt64(assign.renewSeconds),
                  rebindAt: now + UInt64(assign.rebindSeconds), expires: now + UInt64(assign.leaseSeconds),
                  router: router)
    }

    /// The file's first line.
    public static let header = "# mlink lease 1"

    /// The file's text: `KEY VALUE` lines after the header.
    public var fileText: String {
        "\(Self.header)\naddress \(address)\nobtained \(obtained)\nrenew \(renewAt)\nrebind \(rebindAt)\n"
            + "expires \(expires)\nrouter \(router.base64)\n"
    }

    /// The lease in a host lease file, or nil with the reason it cannot be used.
    public static func decode(_ text: String) -> Result<HostLease, LeaseFile.Warning> {
        var values: [Substring: Substring] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == Substring(header) else {
            return .failure(LeaseFile.Warning(line: 1, problem: "not a version-1 host lease file"))
        }
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty && !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else {
                return .failure(LeaseFile.Warning(line: index + 1, problem: "expected KEY VALUE"))
            }
            values[parts[0]] = parts[1]
        }
        func number(_ name: Substring) -> UInt64? { values[name].flatMap { UInt64($0) } }
        guard let addressText = values["address"], let address = IPNetwork(String(addressText)),
              !address.address.isIPv6 else {
            return .failure(LeaseFile.Warning(line: 0, problem: "no usable address"))
        }
        guard let obtained = number("obtained"), let renew = number("renew"), let rebind = number("rebind"),
              let expires = number("expires"), obtained <= renew, renew <= rebind, rebind <= expires else {
            return .failure(LeaseFile.Warning(line: 0, problem: "timers missing or out of order"))
        }
        guard let routerText = values["router"], let router = Key32(base64: String(routerText)) else {
            return .failure(LeaseFile.Warning(line: 0, problem: "no router key"))
        }
        return .success(HostLease(address: address, obtained: obtained, renewAt: renew, rebindAt: rebind,
                                  expires: expires, router: router))
    }
}
