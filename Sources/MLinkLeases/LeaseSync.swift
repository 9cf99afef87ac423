import MLinkTypes

/// LEASE_SYNC (control kind 16, router -> router, reliable): a part of the sender's lease table, or its latest
/// changes, with the sender's slice (PROTOCOL.md §14.4).
///
/// `boot (4) | clock (8) | slice (A) | part (2) | parts (2) | count (1)`, then `count` records of
/// `family (1) | address | key (32) | state (1) | flags (1) | expires (8) | created (8) | updated (8)`.
/// Control messages are not on the data path; parsing builds the record list (at most 18 records).
public struct LeaseSyncMessage: Hashable, Sendable {
    /// The control kind.
    public static let kind: UInt8 = 16
    /// Record flag bit 0: provisional.
    public static let provisionalFlag: UInt8 = 0x01
    /// The largest body (PROTOCOL.md §14).
    public static let maximumBody = 1200

    /// The sender's start time in milliseconds, truncated to 32 bits: a new value means the sender restarted.
    public var boot: UInt32
    /// The sender's Unix time in seconds when it built the message (for skew reports only).
    public var clock: UInt64
    /// The sender's `allocate` range.
    public var slice: IPNetwork
    /// 0-based part of a table; 0 for changes.
    public var part: UInt16
    /// The table's number of parts, or 0 for a change message.
    public var parts: UInt16
    /// The records (their `allocator` is not on the wire: the receiver names the owner).
    public var records: [Binding]

    public init(boot: UInt32, clock: UInt64, slice: IPNetwork, part: UInt16 = 0, parts: UInt16 = 0,
                records: [Binding]) {
        self.boot = boot; self.clock = clock; self.slice = slice; self.part = part; self.parts = parts
        self.records = records
    }

    /// True for a change message (`parts` 0), false for a table part.
    public var isChange: Bool { parts == 0 }

    /// The fixed part's length for a slice of this family: 23 (IPv4) or 35 (IPv6).
    public static func fixedLength(ipv6Slice: Bool) -> Int { 12 + (ipv6Slice ? 18 : 6) + 5 }

    /// A record's length: 63 (IPv4) or 75 (IPv6).
    public static func recordLength(ipv6: Bool) -> Int { (ipv6 ? 17 : 5) + 32 + 2 + 24 }

    /// How many IPv4 records fit in one message after a slice of this family (18 after an IPv4 slice).
    public static func recordsPerMessage(ipv6Slice: Bool) -> Int {
        (maximumBody - fixedLength(ipv6Slice: ipv6Slice)) / recordLength(ipv6: false)
    }

    /// The body, PROTOCOL.md §14.4. The caller keeps it within 1200 bytes (`recordsPerMessage`).
    public var body: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.fixedLength(ipv6Slice: slice.address.isIPv6) + records.count * 63)
        bytes.appendLittleEndian(boot)
        bytes.appendLittleEndian64(clock)
        AddressItem(slice).write(into: &bytes)
        bytes.appendLittleEndian16(part)
        bytes.appendLittleEndian16(parts)
        bytes.append(UInt8(truncatingIfNeeded: records.count))
        for record in records {
            bytes.append(record.address.isIPv6 ? 6 : 4)
            bytes.append(contentsOf: record.address.bytes)
            bytes.append(contentsOf: record.key.bytes)
            bytes.append(record.state.wireValue)
            bytes.append(record.provisional ? Self.provisionalFlag : 0)
            bytes.appendLittleEndian64(record.expires)
            bytes.appendLittleEndian64(record.created)
            bytes.appendLittleEndian64(record.updated)
        }
        return bytes
    }

    /// Parses a body; nil when malformed (PROTOCOL.md §14.4: short, a bad slice item, part and parts
    /// inconsistent, a bad family, state or flag, a record cut short, bytes left over). Records get
    /// `allocator` "" (the receiver names them).
    public init?(body: UnsafeRawBufferPointer) {
        guard body.count >= 12 else { return nil }
        boot = body.readLittleEndianUInt32(at: 0)
        clock = body.readLittleEndianUInt64(at: 4)
        var offset = 12
        guard let item = AddressItem.read(body, at: &offset), let slice = item.network, slice.masked == slice else {
            return nil
        }
        self.slice = slice
        guard body.count - offset >= 5 else { return nil }
        part = UInt16(body[offset]) | UInt16(body[offset + 1]) << 8
        parts = UInt16(body[offset + 2]) | UInt16(body[offset + 3]) << 8
        let count = Int(body[offset + 4])
        offset += 5
        if parts == 0 { guard part == 0 else { return nil } } else { guard part < parts else { return nil } }
        var records: [Binding] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            guard offset < body.count else { return nil }
            let width: Int
            switch body[offset] {
            case 4: width = 4
            case 6: width = 16
            default: return nil
            }
            guard body.count - offset >= 1 + width + 32 + 2 + 24,
                  let address = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: body[(offset + 1)..<(offset + 1 + width)]))
            else { return nil }
            offset += 1 + width
            guard let key = Key32(bytes: body[offset..<(offset + 32)]) else { return nil }
            offset += 32
            guard let state = Binding.State(wireValue: body[offset]) else { return nil }
            let flags = body[offset + 1]
            guard flags & ~Self.provisionalFlag == 0 else { return nil }
            offset += 2
            let expires = body.readLittleEndianUInt64(at: offset)
            let created = body.readLittleEndianUInt64(at: offset + 8)
            let updated = body.readLittleEndianUInt64(at: offset + 16)
            offset += 24
            records.append(Binding(address: address, key: key, state: state, expires: expires, created: created,
                                   allocator: "", updated: updated, provisional: flags & Self.provisionalFlag != 0))
        }
        guard offset == body.count else { return nil }
        self.records = records
    }
}

extension Binding.State {
    /// The state byte of a LEASE_SYNC record: 0 bound, 1 hold, 2 declined.
    public var wireValue: UInt8 {
        switch self {
        case .bound: 0
        case .hold: 1
        case .declined: 2
        }
    }

    /// The state of a record's state byte; nil above 2.
    public init?(wireValue: UInt8) {
        switch wireValue {
        case 0: self = .bound
        case 1: self = .hold
        case 2: self = .declined
        default: return nil
        }
    }
}

extension [UInt8] {
    mutating func appendLittleEndian16(_ value: UInt16) {
        append(UInt8(value & 0xff)); append(UInt8(value >> 8))
    }

    mutating func appendLittleEndian64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(value >> UInt64(shift) & 0xff)) }
    }
}

extension UnsafeRawBufferPointer {
    func readLittleEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(readLittleEndianUInt32(at: offset)) | UInt64(readLittleEndianUInt32(at: offset + 4)) << 32
    }
}
