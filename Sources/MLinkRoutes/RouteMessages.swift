import MLinkTypes

/// The control kinds of the route messages (docs/PROTOCOL.md §14.2).
public enum RouteMessageKind {
    public static let announce: UInt8 = 5
    public static let status: UInt8 = 6
    public static let table: UInt8 = 7
    public static let preferred: UInt8 = 8
}

/// One prefix item (P): a prefix with its preference and item flags.
public struct RoutePrefixItem: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Item flag bit 0 in ROUTE_ANNOUNCE: the host sends the prefix only while it has its own route to it.
    public static let whileRouteFlag: UInt8 = 1
    /// Item flag bit 0 in ROUTE_TABLE: the prefix comes from the router's `push-routes`.
    public static let pushedFlag: UInt8 = 1
    /// The default preference of an announcement.
    public static let defaultPreference: UInt8 = 100

    public var prefix: IPNetwork
    /// Lower is preferred.
    public var preference: UInt8
    public var flags: UInt8

    public init(prefix: IPNetwork, preference: UInt8 = RoutePrefixItem.defaultPreference, flags: UInt8 = 0) {
        self.prefix = prefix; self.preference = preference; self.flags = flags
    }

    /// Bytes on the wire: 8 for IPv4, 20 for IPv6.
    public var encodedSize: Int { prefix.address.isIPv6 ? 20 : 8 }

    public var description: String { "\(prefix)" }
}

/// Shared pieces of the route codecs: item layout, little-endian integers, the body limit.
public enum RouteMessages {
    /// The largest control body (docs/PROTOCOL.md §14).
    public static let maximumBodySize = 1200
    /// ROUTE_ANNOUNCE items that always fit, whatever the family (6 + 59 x 20 <= 1200).
    public static let maximumAnnounceItems = 59

    static func append(_ item: RoutePrefixItem, to bytes: inout [UInt8]) {
        bytes.append(item.prefix.address.isIPv6 ? 6 : 4)
        bytes.append(contentsOf: item.prefix.address.bytes)
        bytes.append(UInt8(item.prefix.prefixLength))
        bytes.append(item.preference)
        bytes.append(item.flags)
    }

    static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value & 0xff)); bytes.append(UInt8(value >> 8))
    }

    static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(value >> UInt32(shift) & 0xff)) }
    }

    @inline(__always)
    static func read16(_ body: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(body[offset]) | UInt16(body[offset + 1]) << 8
    }

    @inline(__always)
    static func read32(_ body: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(body[offset]) | UInt32(body[offset + 1]) << 8 | UInt32(body[offset + 2]) << 16
            | UInt32(body[offset + 3]) << 24
    }

    /// The size of the item at `offset`, or nil when it does not fit or its family or length is wrong.
    static func itemSize(_ body: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        guard offset < body.count else { return nil }
        let size: Int, width: Int
        switch body[offset] {
        case 4: size = 8; width = 32
        case 6: size = 20; width = 128
        default: return nil
        }
        guard offset + size <= body.count, Int(body[offset + size - 3]) <= width else { return nil }
        return size
    }

    /// The item at `offset`, already checked by `itemSize`.
    static func item(_ body: UnsafeRawBufferPointer, at offset: Int) -> RoutePrefixItem {
        let address: IPAddress
        let tail: Int
        if body[offset] == 4 {
            var value: UInt32 = 0
            for i in 1...4 { value = value << 8 | UInt32(body[offset + i]) }
            address = IPAddress(ipv4: value)
            tail = offset + 5
        } else {
            var high: UInt64 = 0, low: UInt64 = 0
            for i in 1...8 { high = high << 8 | UInt64(body[offset + i]) }
            for i in 9...16 { low = low << 8 | UInt64(body[offset + i]) }
            address = IPAddress(ipv6High: high, low: low)
            tail = offset + 17
        }
        let prefix = IPNetwork(address: address, prefixLength: Int(body[tail]))!
        return RoutePrefixItem(prefix: prefix, preference: body[tail + 1], flags: body[tail + 2])
    }
}

/// The items of a received body, validated once and read in place: no allocation (the buffer must outlive it).
public struct RoutePrefixItems: Sequence {
    let body: UnsafeRawBufferPointer
    let start: Int
    /// How many items.
    public let count: Int

    /// Checks that exactly `count` well-formed items fill `body` from `start` to its end.
    init?(body: UnsafeRawBufferPointer, start: Int, count: Int, requireMasked: Bool) {
        var offset = start
        for _ in 0..<count {
            guard let size = RouteMessages.itemSize(body, at: offset) else { return nil }
            if requireMasked, !RouteMessages.item(body, at: offset).prefix.hasNoHostBits { return nil }
            offset += size
        }
        guard offset == body.count else { return nil }
        self.body = body; self.start = start; self.count = count
    }

    public struct Iterator: IteratorProtocol {
        let body: UnsafeRawBufferPointer
        var offset: Int
        var remaining: Int

        public mutating func next() -> RoutePrefixItem? {
            guard remaining > 0, let size = RouteMessages.itemSize(body, at: offset) else { return nil }
            let item = RouteMessages.item(body, at: offset)
            offset += size
            remaining -= 1
            return item
        }
    }

    public func makeIterator() -> Iterator { Iterator(body: body, offset: start, remaining: count) }
}

/// ROUTE_ANNOUNCE (kind 5): a host's complete announcement set.
public struct RouteAnnounce {
    public let generation: UInt32
    public let items: RoutePrefixItems

    /// Parses a body; nil when it is malformed (§14.2). Host bits in an item are allowed here (verdict 8).
    public init?(body: UnsafeRawBufferPointer) {
        guard body.count >= 6, body.count <= RouteMessages.maximumBodySize else { return nil }
        let count = Int(RouteMessages.read16(body, 4))
        guard count <= RouteMessages.maximumAnnounceItems,
              let items = RoutePrefixItems(body: body, start: 6, count: count, requireMasked: false) else { return nil }
        generation = RouteMessages.read32(body, 0)
        self.items = items
    }

    /// The body for `items` (at most `maximumAnnounceItems`).
    public static func encode(generation: UInt32, items: [RoutePrefixItem]) -> [UInt8] {
        precondition(items.count <= RouteMessages.maximumAnnounceItems, "too many announcements for one message")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(6 + items.count * 20)
        RouteMessages.append32(generation, to: &bytes)
        RouteMessages.append16(UInt16(items.count), to: &bytes)
        for item in items { RouteMessages.append(item, to: &bytes) }
        return bytes
    }
}

/// ROUTE_STATUS (kind 6): one verdict per item of an announcement generation.
public struct RouteStatus {
    public let generation: UInt32
    let body: UnsafeRawBufferPointer
    /// How many verdicts.
    public let count: Int

    public init?(body: UnsafeRawBufferPointer) {
        guard body.count >= 6, body.count <= RouteMessages.maximumBodySize else { return nil }
        let count = Int(RouteMessages.read16(body, 4))
        guard body.count == 6 + count else { return nil }
        generation = RouteMessages.read32(body, 0)
        self.body = body
        self.count = count
    }

    /// The wire value of verdict `index` (unknown values are kept: a newer router may send them).
    public func verdict(at index: Int) -> UInt8 { body[6 + index] }

    public static func encode(generation: UInt32, verdicts: [RouteVerdict]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(6 + verdicts.count)
        RouteMessages.append32(generation, to: &bytes)
        RouteMessages.append16(UInt16(verdicts.count), to: &bytes)
        bytes.append(contentsOf: verdicts.map(\.rawValue))
        return bytes
    }
}

/// ROUTE_TABLE (kind 7): one part of the routes a host may send through the router.
public struct RouteTablePart {
    public let generation: UInt32
    public let part: Int
    public let parts: Int
    public let items: RoutePrefixItems

    public init?(body: UnsafeRawBufferPointer) {
        guard body.count >= 10, body.count <= RouteMessages.maximumBodySize else { return nil }
        let part = Int(RouteMessages.read16(body, 4)), parts = Int(RouteMessages.read16(body, 6))
        guard parts > 0, part < parts,
              let items = RoutePrefixItems(body: body, start: 10, count: Int(RouteMessages.read16(body, 8)),
                                           requireMasked: true) else { return nil }
        generation = RouteMessages.read32(body, 0)
        self.part = part; self.parts = parts; self.items = items
    }

    /// The bodies of one generation: as many items per part as fit in 1200 bytes; one empty part for no routes.
    public static func encode(generation: UInt32, items: [RoutePrefixItem]) -> [[UInt8]] {
        var groups: [[RoutePrefixItem]] = [[]]
        var size = 10
        for item in items {
            if size + item.encodedSize > RouteMessages.maximumBodySize {
                groups.append([]); size = 10
            }
            groups[groups.count - 1].append(item)
            size += item.encodedSize
        }
        return groups.enumerated().map { index, group in
            var bytes: [UInt8] = []
            RouteMessages.append32(generation, to: &bytes)
            RouteMessages.append16(UInt16(index), to: &bytes)
            RouteMessages.append16(UInt16(groups.count), to: &bytes)
            RouteMessages.append16(UInt16(group.count), to: &bytes)
            for item in group { RouteMessages.append(item, to: &bytes) }
            return bytes
        }
    }
}

/// PREFERRED (kind 8): whether this router is the host's primary router.
public struct PreferredRouter {
    public let isPreferred: Bool

    public init?(body: UnsafeRawBufferPointer) {
        guard body.count == 1, body[0] <= 1 else { return nil }
        isPreferred = body[0] == 1
    }

    public static func encode(isPreferred: Bool) -> [UInt8] { [isPreferred ? 1 : 0] }
}

/// Reassembles the parts of ROUTE_TABLE generations on a host; `take` yields a complete table once.
public struct RouteTableAssembler: Sendable {
    private var gate = GenerationGate()
    private var pending: (generation: UInt32, parts: [[RoutePrefixItem]?])?

    public init() {}

    /// Forget everything (a new session with the router).
    public mutating func reset() { gate.reset(); pending = nil }

    /// Adds a part; returns the whole table when this part completed a generation newer than the last applied.
    public mutating func add(_ part: RouteTablePart) -> [RoutePrefixItem]? {
        if let last = gate.last, !SerialGeneration.isNewer(part.generation, than: last) { return nil }
        if pending == nil || pending!.generation != part.generation || pending!.parts.count != part.parts {
            if let current = pending, current.generation != part.generation,
               !SerialGeneration.isNewer(part.generation, than: current.generation) { return nil }
            pending = (part.generation, Array(repeating: nil, count: part.parts))
        }
        pending!.parts[part.part] = Array(part.items)
        guard pending!.parts.allSatisfy({ $0 != nil }) else { return nil }
        let table = pending!.parts.flatMap { $0! }
        _ = gate.admit(part.generation)
        pending = nil
        return table
    }
}
