import MLinkTypes

/// An address with its prefix length as the lease messages carry it (PROTOCOL.md §14.1, "address item"):
/// `family (1: 4 or 6) | address (4 or 16, network order) | prefix length (1)`.
public struct AddressItem: Hashable, Sendable, CustomStringConvertible {
    /// The address (all zeros in a request: "any address of this family").
    public var address: IPAddress
    /// The prefix length: the on-link length in an ASSIGN, what the host holds in a REQUEST (0 for "any").
    public var prefixLength: UInt8

    public init(address: IPAddress, prefixLength: UInt8) {
        self.address = address; self.prefixLength = prefixLength
    }

    /// The item for `network` (its address as written, host bits kept).
    public init(_ network: IPNetwork) {
        self.init(address: network.address, prefixLength: UInt8(network.prefixLength))
    }

    /// "Any IPv4 address": the request of a host that holds nothing.
    public static let anyIPv4 = AddressItem(address: IPAddress(ipv4: 0), prefixLength: 0)

    /// The address as an interface address, e.g. 10.77.0.37/24.
    public var network: IPNetwork? { IPNetwork(address: address, prefixLength: Int(prefixLength)) }

    /// True for the "any address" form.
    public var isAny: Bool { address.isUnspecified }

    /// The encoded length: 6 for IPv4, 18 for IPv6.
    public var encodedLength: Int { address.isIPv6 ? 18 : 6 }

    public var description: String { "\(address)/\(prefixLength)" }

    /// Reads one item at `offset` of `body`; nil when it is cut short, of an unknown family or its prefix length
    /// is too long. `offset` moves past the item. The corresponding layout is PROTOCOL.md §14.1.
    static func read(_ body: UnsafeRawBufferPointer, at offset: inout Int) -> AddressItem? {
        guard offset < body.count else { return nil }
        let family = body[offset]
        let width: Int
        switch family {
        case 4: width = 4
        case 6: width = 16
        default: return nil
        }
        guard body.count - offset >= 2 + width else { return nil }
        guard let address = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: body[(offset + 1)..<(offset + 1 + width)]))
        else { return nil }
        let length = body[offset + 1 + width]
        guard Int(length) <= width * 8 else { return nil }
        offset += 2 + width
        return AddressItem(address: address, prefixLength: length)
    }

    /// Appends the item to `bytes`.
    func write(into bytes: inout [UInt8]) {
        bytes.append(address.isIPv6 ? 6 : 4)
        bytes.append(contentsOf: address.bytes)
        bytes.append(prefixLength)
    }
}

/// At most two address items, one per family, held inline so that parsing a message allocates nothing.
public struct AddressItems: Hashable, Sendable, Sequence {
    /// The first item, if any.
    public private(set) var first: AddressItem?
    /// The second item, if any (of the other family than `first`).
    public private(set) var second: AddressItem?

    public init() {}

    /// The items of `list`; nil when it holds more than two, or two of one family.
    public init?(_ list: [AddressItem]) {
        for item in list { guard append(item) else { return nil } }
    }

    /// How many items there are (0, 1 or 2).
    public var count: Int { (first == nil ? 0 : 1) + (second == nil ? 0 : 1) }

    /// True when there is no item.
    public var isEmpty: Bool { first == nil }

    /// The item of one family.
    public func item(ipv6: Bool) -> AddressItem? {
        if let first, first.address.isIPv6 == ipv6 { return first }
        if let second, second.address.isIPv6 == ipv6 { return second }
        return nil
    }

    /// Adds `item`; false when both places are taken or its family is already present.
    public mutating func append(_ item: AddressItem) -> Bool {
        guard let first else { self.first = item; return true }
        guard second == nil, first.address.isIPv6 != item.address.isIPv6 else { return false }
        second = item
        return true
    }

    public func makeIterator() -> Iterator { Iterator(items: self) }

    /// Walks `first` then `second` without building an array.
    public struct Iterator: IteratorProtocol {
        let items: AddressItems
        var position = 0

        public mutating func next() -> AddressItem? {
            defer { position += 1 }
            switch position {
            case 0: return items.first
            case 1: return items.second
            default: return nil
            }
        }
    }

    /// Reads `count` items from `offset`; nil on any malformed item or a family given twice.
    static func read(_ body: UnsafeRawBufferPointer, at offset: inout Int, count: Int) -> AddressItems? {
        guard count <= 2 else { return nil }
        var items = AddressItems()
        for _ in 0..<count {
            guard let item = AddressItem.read(body, at: &offset), items.append(item) else { return nil }
        }
        return items
    }

    /// Appends every item to `bytes`.
    func write(into bytes: inout [UInt8]) {
        if let first { first.write(into: &bytes) }
        if let second { second.write(into: &bytes) }
    }
}
