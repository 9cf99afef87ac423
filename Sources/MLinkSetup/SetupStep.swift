import MLinkNetlink
import MLinkTypes

/// One change `up` makes to the system, typed: what wg-quick's `cmd ip ...` lines do, with the `ip` command that
/// echoes it, the inverse that undoes it, and (in `SetupStep+Apply.swift`) the netlink calls that make it.
///
/// Every step names its device; a step that configures a device (`boundDevice`) ends with that device, so
/// undoing a set-up that created the device needs only the device's deletion.
public enum SetupStep: Equatable, Sendable {
    /// Creates the TUN device. Its inverse deletes it, and with it every address and route bound to it.
    case createTun(name: String)
    /// Sets the device's MTU in bytes.
    case setMTU(Int, device: String)
    /// Assigns an address with its prefix (host bits kept: 10.77.0.10/24).
    case addAddress(IPNetwork, device: String)
    /// Sets the device administratively up.
    case setUp(device: String)
    /// Routes a prefix (host bits clear) out of the device in the main table, tagged with `protocolNumber`.
    case addRoute(IPNetwork, device: String, protocolNumber: UInt8)
    /// Deletes a device (a TUN device that outlived its owner).
    case deleteLink(name: String)
    /// Removes an address from the device.
    case deleteAddress(IPNetwork, device: String)
    /// Sets the device administratively down.
    case setDown(device: String)
    /// Deletes a route `addRoute` made.
    case deleteRoute(IPNetwork, device: String, protocolNumber: UInt8)

    /// The device the step acts on.
    public var device: String {
        switch self {
        case .createTun(let name), .deleteLink(let name): return name
        case .setMTU(_, let device), .addAddress(_, let device), .setUp(let device), .addRoute(_, let device, _),
             .deleteAddress(_, let device), .setDown(let device), .deleteRoute(_, let device, _):
            return device
        }
    }

    /// The device whose deletion also ends this step's effect (the kernel drops a device's addresses and routes
    /// with it); nil for the steps that create or delete the device itself.
    public var boundDevice: String? {
        switch self {
        case .createTun, .deleteLink: return nil
        default: return device
        }
    }

    /// The step that undoes this one; nil for an MTU change, which has no earlier value to go back to (the
    /// device's deletion ends it).
    public var inverse: SetupStep? {
        switch self {
        case .createTun(let name): return .deleteLink(name: name)
        case .deleteLink(let name): return .createTun(name: name)
        case .setMTU: return nil
        case .addAddress(let network, let device): return .deleteAddress(network, device: device)
        case .deleteAddress(let network, let device): return .addAddress(network, device: device)
        case .setUp(let device): return .setDown(device: device)
        case .setDown(let device): return .setUp(device: device)
        case .addRoute(let network, let device, let proto): return .deleteRoute(network, device: device, protocolNumber: proto)
        case .deleteRoute(let network, let device, let proto): return .addRoute(network, device: device, protocolNumber: proto)
        }
    }

    /// The main-table route of a route step (its output link is resolved from the device when applied).
    static func route(_ network: IPNetwork, protocolNumber: UInt8) -> Route {
        Route(destination: network, protocolNumber: protocolNumber)
    }

    /// The equivalent `ip` command, as `up` echoes it after `[#] `.
    public var ipCommand: String {
        switch self {
        case .createTun(let name): return "ip tuntap add mode tun name \(name)"
        case .deleteLink(let name): return "ip link delete dev \(name)"
        case .setMTU(let mtu, let device): return "ip link set mtu \(mtu) dev \(device)"
        case .addAddress(let network, let device): return InterfaceAddress.ipCommand(.add, network, device: device)
        case .deleteAddress(let network, let device): return InterfaceAddress.ipCommand(.delete, network, device: device)
        case .setUp(let device): return "ip link set up dev \(device)"
        case .setDown(let device): return "ip link set down dev \(device)"
        case .addRoute(let network, let device, let proto):
            return SetupStep.route(network, protocolNumber: proto).ipCommand(.add, device: device)
        case .deleteRoute(let network, let device, let proto):
            return SetupStep.route(network, protocolNumber: proto).ipCommand(.delete, device: device)
        }
    }

    /// The steps that undo `applied` (in the order they were applied), newest first: each step's inverse,
    /// except for steps bound to a device that the undo deletes anyway, and MTU changes.
    ///
    /// For a whole `up` this is the single `ip link delete`, as in wg-quick; for a set-up that failed before
    /// its device existed it is nothing.
    public static func undo(_ applied: [SetupStep]) -> [SetupStep] {
        var created = Set<String>()
        for case .createTun(let name) in applied { created.insert(name) }
        return applied.reversed().compactMap { step in
            if let device = step.boundDevice, created.contains(device) { return nil }
            return step.inverse
        }
    }
}
