import MLinkConfig
import MLinkNetlink
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// The link table: one pinned UDP socket per usable local address, in slots the engine's connections refer to;
/// rebuilt when netlink reports links or addresses coming and going.
extension ForwardingCore {
    /// Opens sockets for links that appeared and closes those of links that went away.
    func refreshLinks() throws {
        let current = try LinkInventory.usableLinks(patterns: profile.links, excluding: tun.name, netlink: netlink)
        for (slot, entry) in slots.enumerated() {
            guard let entry else { continue }
            if !current.contains(entry.link) {
                log.info("link \(entry.link.name) \(entry.link.address) left the bundle")
                epoll.remove(entry.socket.descriptor.rawValue)
                engine.linkRemoved(slot: slot)
                slots[slot] = nil
            }
        }
        for link in current where !slots.contains(where: { $0?.link == link }) {
            let port = profile.role == .router ? (profile.listenPort ?? 7000) : 0
            do {
                let socket = try UDPSocket(interfaceName: link.name, address: SocketAddress(address: link.address, port: port))
                let slot = slots.firstIndex(where: { $0 == nil }) ?? slots.count
                guard slot < ForwardingCore.maximumSlots else {
                    log.warning("more than \(ForwardingCore.maximumSlots) link addresses; ignoring \(link.name) \(link.address)")
                    continue
                }
                if slot == slots.count { slots.append(nil) }
                slots[slot] = LinkSlot(link: link, socket: socket)
                try epoll.add(socket.descriptor.rawValue, token: ForwardingCore.slotTokenBase + UInt64(slot))
                engine.linkAdded(slot: slot, name: link.name, local: socket.localAddress)
                engine.setLinkPolicy(linkPolicy(forLink: link.name), slot: slot)
                log.info("link \(link.name) \(socket.localAddress) joined the bundle")
            } catch {
                log.warning("cannot use link \(link.name) \(link.address): \(error)")
            }
        }
        updateSourceRouting()
    }

    /// Netlink said links, addresses or others' routes changed: refreshes the table or the source routing.
    func handleLinkChanges() {
        guard let monitor else { return }
        noteRouteEnvironmentChanged()
        do {
            let events = (try? monitor.readEvents()) ?? [.linkRemoved(index: 0, name: "")]  // lost events: rescan
            if events.contains(where: \.changesLinks) {
                try refreshLinks()  // also updates source routing
            } else if events.contains(where: {
                $0.changesOthersRoutes(ownProtocols: [RouteProtocol.mlink, profile.routing.routeProtocol])
            }) {
                updateSourceRouting()
            }
            noteRoutingEvents(events)
            noteImportEvents(events)
        } catch {
            log.warning("link change handling failed: \(error)")
        }
    }
}
