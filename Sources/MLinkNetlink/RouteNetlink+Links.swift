import CMnl
import MLinkSystem

extension RouteNetlink {
    /// Every interface in the namespace. The corresponding kernel message is RTM_GETLINK (a dump).
    public func links() throws -> [Link] {
        try socket.exchange({ NetlinkMessages.getLinks(sequence: $0) }, operation: "list links")
            .compactMap(NetlinkMessages.parseLink)
    }

    /// The interface called `name`, or nil when there is none. The corresponding kernel message is RTM_GETLINK.
    ///
    /// Asks for that one link rather than dumping all, so the answer is cheap even on a host with many links.
    public func link(named name: String) throws -> Link? {
        guard !name.isEmpty, name.utf8.count < Int(IF_NAMESIZE), !name.utf8.contains(0) else { return nil }
        do {
            return try socket.exchange({ NetlinkMessages.getLink(named: name, sequence: $0) },
                                       operation: "look up link \(name)")
                .lazy.compactMap(NetlinkMessages.parseLink).first
        } catch let error as NetlinkError where error.code == .noSuchDevice {
            return nil
        }
    }

    /// Sets a link administratively up or down. The corresponding kernel message is RTM_NEWLINK.
    public func setLink(index: Int32, up: Bool) throws {
        _ = try socket.exchange({ NetlinkMessages.setLink(index: index, up: up, sequence: $0) },
                                operation: "set link \(describeLink(index)) \(up ? "up" : "down")")
    }

    /// Sets a link's MTU in bytes. The corresponding kernel message is RTM_NEWLINK with IFLA_MTU.
    public func setLink(index: Int32, mtu: Int) throws {
        _ = try socket.exchange({ NetlinkMessages.setLink(index: index, mtu: mtu, sequence: $0) },
                                operation: "set mtu \(mtu) on \(describeLink(index))")
    }

    /// Deletes a link (a TUN device that outlived its owner, a veth in the lab). The corresponding kernel
    /// message is RTM_DELLINK.
    public func deleteLink(index: Int32) throws {
        let name = describeLink(index)
        _ = try socket.exchange({ NetlinkMessages.deleteLink(index: index, sequence: $0) },
                                operation: "delete link \(name)")
    }
}
