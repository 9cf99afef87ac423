import MLinkTypes

/// A step in the state file as one flat JSON object: `{"step": "addRoute", "device": "ml-vm1",
/// "network": "10.77.0.20/32", "protocol": 109}`. Prefixes are written as `ip` writes them and read back into
/// `IPNetwork` when the file is loaded, so a damaged file fails at load with the bad value, not half way
/// through `down`.
extension SetupStep: Codable {
    private enum Kind: String, Codable {
        case createTun, setMTU, addAddress, setUp, addRoute, deleteLink, deleteAddress, setDown, deleteRoute
    }

    private enum CodingKeys: String, CodingKey {
        case step, device, mtu, network
        case protocolNumber = "protocol"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let device = try container.decode(String.self, forKey: .device)
        func network() throws -> IPNetwork {
            let text = try container.decode(String.self, forKey: .network)
            guard let network = IPNetwork(text) else {
                throw DecodingError.dataCorruptedError(forKey: .network, in: container,
                                                       debugDescription: "not a prefix (\(text))")
            }
            return network
        }
        func protocolNumber() throws -> UInt8 { try container.decode(UInt8.self, forKey: .protocolNumber) }
        switch try container.decode(Kind.self, forKey: .step) {
        case .createTun: self = .createTun(name: device)
        case .deleteLink: self = .deleteLink(name: device)
        case .setMTU: self = .setMTU(try container.decode(Int.self, forKey: .mtu), device: device)
        case .addAddress: self = .addAddress(try network(), device: device)
        case .deleteAddress: self = .deleteAddress(try network(), device: device)
        case .setUp: self = .setUp(device: device)
        case .setDown: self = .setDown(device: device)
        case .addRoute: self = .addRoute(try network(), device: device, protocolNumber: try protocolNumber())
        case .deleteRoute: self = .deleteRoute(try network(), device: device, protocolNumber: try protocolNumber())
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(device, forKey: .device)
        switch self {
        case .createTun:
            try container.encode(Kind.createTun, forKey: .step)
        case .deleteLink:
            try container.encode(Kind.deleteLink, forKey: .step)
        case .setMTU(let mtu, _):
            try container.encode(Kind.setMTU, forKey: .step)
            try container.encode(mtu, forKey: .mtu)
        case .addAddress(let network, _):
            try container.encode(Kind.addAddress, forKey: .step)
            try container.encode(network.description, forKey: .network)
        case .deleteAddress(let network, _):
            try container.encode(Kind.deleteAddress, forKey: .step)
            try container.encode(network.description, forKey: .network)
        case .setUp:
            try container.encode(Kind.setUp, forKey: .step)
        case .setDown:
            try container.encode(Kind.setDown, forKey: .step)
        case .addRoute(let network, _, let proto):
            try container.encode(Kind.addRoute, forKey: .step)
            try container.encode(network.description, forKey: .network)
            try container.encode(proto, forKey: .protocolNumber)
        case .deleteRoute(let network, _, let proto):
            try container.encode(Kind.deleteRoute, forKey: .step)
            try container.encode(network.description, forKey: .network)
            try container.encode(proto, forKey: .protocolNumber)
        }
    }
}
