import MLinkTypes

/// The control-message kinds of the lease protocol (PROTOCOL.md §14.1).
public enum LeaseMessageKind: UInt8, Sendable, CaseIterable {
    case addressRequest = 1
    case addressAssign = 2
    case addressRelease = 3
    case addressDecline = 4
}

/// ADDRESS_REQUEST (kind 1, host -> router): the addresses the host holds, or "any" per family.
///
/// Parsing reads the body in place and allocates nothing; a malformed body gives nil (the caller counts it).
public struct AddressRequest: Hashable, Sendable {
    /// Flags bit 0: the host holds these addresses now (INIT-REBOOT).
    public static let rebootFlag: UInt8 = 0x01

    /// What the host asks for: 1 or 2 items.
    public var items: AddressItems
    /// True when the host has these addresses configured already (flags bit 0).
    public var isReboot: Bool

    public init(items: AddressItems, isReboot: Bool) {
        self.items = items; self.isReboot = isReboot
    }

    /// The message's flags byte.
    public var flags: UInt8 { isReboot ? Self.rebootFlag : 0 }

    /// The body, PROTOCOL.md §14.1.
    public var body: [UInt8] {
        var bytes: [UInt8] = [UInt8(items.count)]
        items.write(into: &bytes)
        return bytes
    }

    /// Parses a body; nil when malformed (count not 1 or 2, a bad item, a family twice, bytes left over).
    public init?(body: UnsafeRawBufferPointer, flags: UInt8) {
        guard let items = Self.readList(body) else { return nil }
        self.init(items: items, isReboot: flags & Self.rebootFlag != 0)
    }

    /// `count (1)` then that many items, exactly filling `body`, count 1 or 2 (REQUEST and RELEASE share it).
    static func readList(_ body: UnsafeRawBufferPointer) -> AddressItems? {
        guard body.count >= 1 else { return nil }
        let count = Int(body[0])
        guard count == 1 || count == 2 else { return nil }
        var offset = 1
        guard let items = AddressItems.read(body, at: &offset, count: count), offset == body.count else { return nil }
        return items
    }
}

/// Why an ADDRESS_ASSIGN lists what it lists (PROTOCOL.md §14.1).
public enum AssignReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case granted = 0
    case changed = 1
    case poolExhausted = 2
    case noPool = 3
    case released = 4

    /// The name in `show`, logs and metrics labels.
    public var description: String {
        switch self {
        case .granted: "granted"
        case .changed: "changed"
        case .poolExhausted: "pool-exhausted"
        case .noPool: "no-pool"
        case .released: "released"
        }
    }

    /// True for the reasons that come with addresses.
    public var carriesAddresses: Bool { self == .granted || self == .changed }
}

/// ADDRESS_ASSIGN (kind 2, router -> host), full state: the host's addresses now and their timers.
public struct AddressAssign: Hashable, Sendable {
    /// The fixed part before the items: answers seq, lease, T1, T2 (4 each), reason, count.
    static let fixedLength = 18

    /// The `seq` of the request answered, 0 when unasked.
    public var answersSequence: UInt32
    /// Lease time in seconds, from reception.
    public var leaseSeconds: UInt32
    /// Renew time (T1) in seconds, from reception.
    public var renewSeconds: UInt32
    /// Rebind time (T2) in seconds, from reception.
    public var rebindSeconds: UInt32
    /// Why.
    public var reason: AssignReason
    /// The host's addresses with the on-link prefix length; empty for a refusal.
    public var items: AddressItems

    public init(answersSequence: UInt32, leaseSeconds: UInt32, renewSeconds: UInt32, rebindSeconds: UInt32,
                reason: AssignReason, items: AddressItems) {
        self.answersSequence = answersSequence; self.leaseSeconds = leaseSeconds
        self.renewSeconds = renewSeconds; self.rebindSeconds = rebindSeconds
        self.reason = reason; self.items = items
    }

    /// A refusal: no addresses, all timers 0.
    public static func refusal(answering sequence: UInt32, reason: AssignReason) -> AddressAssign {
        AddressAssign(answersSequence: sequence, leaseSeconds: 0, renewSeconds: 0, rebindSeconds: 0, reason: reason,
                      items: AddressItems())
    }

    /// The body, PROTOCOL.md §14.1.
    public var body: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.fixedLength + 36)
        for value in [answersSequence, leaseSeconds, renewSeconds, rebindSeconds] { bytes.appendLittleEndian(value) }
        bytes.append(reason.rawValue)
        bytes.append(UInt8(items.count))
        items.write(into: &bytes)
        return bytes
    }

    /// Parses a body; nil when malformed: short, an unknown reason, count above 2, a bad item, a family twice,
    /// bytes left over, addresses with a refusal reason (or none with a grant), or timers out of order.
    public init?(body: UnsafeRawBufferPointer) {
        guard body.count >= Self.fixedLength else { return nil }
        answersSequence = body.readLittleEndianUInt32(at: 0)
        leaseSeconds = body.readLittleEndianUInt32(at: 4)
        renewSeconds = body.readLittleEndianUInt32(at: 8)
        rebindSeconds = body.readLittleEndianUInt32(at: 12)
        guard let reason = AssignReason(rawValue: body[16]) else { return nil }
        self.reason = reason
        var offset = Self.fixedLength
        guard let items = AddressItems.read(body, at: &offset, count: Int(body[17])), offset == body.count else {
            return nil
        }
        self.items = items
        if reason.carriesAddresses {
            guard !items.isEmpty, items.allSatisfy({ !$0.isAny }), renewSeconds > 0, renewSeconds <= rebindSeconds,
                  rebindSeconds <= leaseSeconds else { return nil }
        } else {
            guard items.isEmpty else { return nil }
        }
    }
}

/// ADDRESS_RELEASE (kind 3, host -> router): the addresses the host gives up.
public struct AddressRelease: Hashable, Sendable {
    /// 1 or 2 items.
    public var items: AddressItems

    public init(items: AddressItems) { self.items = items }

    /// The body, PROTOCOL.md §14.1 (the same layout as a request's).
    public var body: [UInt8] {
        var bytes: [UInt8] = [UInt8(items.count)]
        items.write(into: &bytes)
        return bytes
    }

    /// Parses a body; nil when malformed.
    public init?(body: UnsafeRawBufferPointer) {
        guard let items = AddressRequest.readList(body) else { return nil }
        self.items = items
    }
}

/// Why a host declines an address (ADDRESS_DECLINE's reason byte).
public enum DeclineReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The address is configured on another of the host's interfaces.
    case inUseLocally = 1
    /// The address is inside one of the host's connected networks.
    case insideLocalNetwork = 2

    public var description: String {
        switch self {
        case .inUseLocally: "in-use-locally"
        case .insideLocalNetwork: "inside-local-network"
        }
    }
}

/// ADDRESS_DECLINE (kind 4, host -> router): the host refuses an assigned address.
public struct AddressDecline: Hashable, Sendable {
    /// The address refused.
    public var item: AddressItem
    /// Why.
    public var reason: DeclineReason

    public init(item: AddressItem, reason: DeclineReason) { self.item = item; self.reason = reason }

    /// The body, PROTOCOL.md §14.1.
    public var body: [UInt8] {
        var bytes: [UInt8] = []
        item.write(into: &bytes)
        bytes.append(reason.rawValue)
        return bytes
    }

    /// Parses a body; nil when malformed (a bad item, an unknown reason, a wrong length).
    public init?(body: UnsafeRawBufferPointer) {
        var offset = 0
        guard let item = AddressItem.read(body, at: &offset), !item.isAny, body.count == offset + 1,
              let reason = DeclineReason(rawValue: body[offset]) else { return nil }
        self.item = item; self.reason = reason
    }
}

extension [UInt8] {
    mutating func appendLittleEndian(_ value: UInt32) {
        append(UInt8(value & 0xff)); append(UInt8(value >> 8 & 0xff))
        append(UInt8(value >> 16 & 0xff)); append(UInt8(value >> 24))
    }
}

extension UnsafeRawBufferPointer {
    func readLittleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16
            | UInt32(self[offset + 3]) << 24
    }
}
