import MLinkTypes

extension RouteNetlink {
    /// Every IPv4 and IPv6 address in the namespace. The corresponding kernel message is RTM_GETADDR (a dump).
    public func addresses() throws -> [InterfaceAddress] {
        try socket.exchange({ NetlinkMessages.getAddresses(sequence: $0) }, operation: "list addresses")
            .compactMap(NetlinkMessages.parseAddress)
    }

    /// Assigns `network` (address with host bits and prefix, e.g. 10.77.0.10/24) to a link; EEXIST when it is
    /// already there. The corresponding kernel message is RTM_NEWADDR.
    ///
    /// IPv6 addresses skip duplicate address detection (IFA_F_NODAD) so they can be bound at once.
    public func addAddress(_ network: IPNetwork, linkIndex: Int32) throws {
        _ = try socket.exchange({ NetlinkMessages.newAddress(network, linkIndex: linkIndex, sequence: $0) },
                                operation: "add address \(network) on \(describeLink(linkIndex))")
    }

    /// Removes an address from a link. The corresponding kernel message is RTM_DELADDR.
    public func deleteAddress(_ network: IPNetwork, linkIndex: Int32) throws {
        _ = try socket.exchange({ NetlinkMessages.deleteAddress(network, linkIndex: linkIndex, sequence: $0) },
                                operation: "delete address \(network) on \(describeLink(linkIndex))")
    }
}
