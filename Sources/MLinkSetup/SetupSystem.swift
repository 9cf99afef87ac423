import MLinkConfig
import MLinkDaemon
import MLinkNetlink
import MLinkSystem
import MLinkTypes

/// The system calls behind set-up and teardown, by device name: `NetlinkSetupSystem` makes them; tests record
/// them in a fake and check the trace, so the set-up half is tested without root.
public protocol SetupSystem: AnyObject {
    /// True when a link called `name` exists.
    func linkExists(_ name: String) throws -> Bool
    /// Creates the TUN device `name` and keeps its descriptor (the device lives as long as that descriptor).
    func createTun(_ name: String) throws
    /// Deletes the link `name`: closes the TUN descriptor when this system created it, else asks netlink.
    func deleteLink(_ name: String) throws
    /// Sets the MTU of `device` in bytes.
    func setMTU(_ mtu: Int, device: String) throws
    /// Sets `device` administratively up or down.
    func setUp(_ up: Bool, device: String) throws
    /// Assigns `network` (host bits kept) to `device`.
    func addAddress(_ network: IPNetwork, device: String) throws
    /// Removes `network` from `device`.
    func deleteAddress(_ network: IPNetwork, device: String) throws
    /// Adds `route` out of `device` (the route's own output link is ignored).
    func addRoute(_ route: Route, device: String) throws
    /// Deletes `route` out of `device`, matching its protocol.
    func deleteRoute(_ route: Route, device: String) throws
    /// Removes the per-link source-routing tables and rules of `settings` that a core left, echoing each.
    func sweepSourceRouting(_ settings: Profile.RoutingSettings, echo: (String) -> Void)
}

extension SetupStep {
    /// Makes the change through `system`. The corresponding kernel messages are RTM_NEWLINK, RTM_NEWADDR,
    /// RTM_NEWROUTE and their deletions, and the TUNSETIFF ioctl for `createTun`.
    public func apply(on system: SetupSystem) throws {
        switch self {
        case .createTun(let name): try system.createTun(name)
        case .deleteLink(let name): try system.deleteLink(name)
        case .setMTU(let mtu, let device): try system.setMTU(mtu, device: device)
        case .setUp(let device): try system.setUp(true, device: device)
        case .setDown(let device): try system.setUp(false, device: device)
        case .addAddress(let network, let device): try system.addAddress(network, device: device)
        case .deleteAddress(let network, let device): try system.deleteAddress(network, device: device)
        case .addRoute(let network, let device, let proto):
            try system.addRoute(SetupStep.route(network, protocolNumber: proto), device: device)
        case .deleteRoute(let network, let device, let proto):
            try system.deleteRoute(SetupStep.route(network, protocolNumber: proto), device: device)
        }
    }
}

/// The real `SetupSystem`: rtnetlink for links, addresses and routes, the TUN driver for the device.
public final class NetlinkSetupSystem: SetupSystem {
    /// The netlink socket every change goes through.
    public let netlink: RouteNetlink
    /// TUN devices this system created, by name; each device ends when its descriptor closes.
    public private(set) var tunDevices: [String: TunDevice] = [:]

    /// Opens the netlink socket. The corresponding C calls are `socket(AF_NETLINK, ...)` and `bind`.
    public init() throws {
        netlink = try RouteNetlink()
    }

    public func linkExists(_ name: String) throws -> Bool { try netlink.link(named: name) != nil }

    public func createTun(_ name: String) throws {
        tunDevices[name] = try TunDevice(name: name)
    }

    public func deleteLink(_ name: String) throws {
        if let tun = tunDevices.removeValue(forKey: name) {
            tun.descriptor.close()
        } else if let link = try netlink.link(named: name) {
            try netlink.deleteLink(index: link.index)
        }
    }

    public func setMTU(_ mtu: Int, device: String) throws { try netlink.setLink(index: try index(of: device), mtu: mtu) }

    public func setUp(_ up: Bool, device: String) throws { try netlink.setLink(index: try index(of: device), up: up) }

    public func addAddress(_ network: IPNetwork, device: String) throws {
        try netlink.addAddress(network, linkIndex: try index(of: device))
    }

    public func deleteAddress(_ network: IPNetwork, device: String) throws {
        try netlink.deleteAddress(network, linkIndex: try index(of: device))
    }

    public func addRoute(_ route: Route, device: String) throws {
        var route = route
        route.outputLinkIndex = try index(of: device)
        try netlink.addRoute(route)
    }

    public func deleteRoute(_ route: Route, device: String) throws {
        var route = route
        route.outputLinkIndex = try index(of: device)
        try netlink.deleteRoute(route)
    }

    public func sweepSourceRouting(_ settings: Profile.RoutingSettings, echo: (String) -> Void) {
        SourceRouting.sweep(settings, netlink: netlink, echo: echo)
    }

    private func index(of device: String) throws -> Int32 {
        guard let link = try netlink.link(named: device) else { throw SetupError.interfaceVanished(device) }
        return link.index
    }
}
