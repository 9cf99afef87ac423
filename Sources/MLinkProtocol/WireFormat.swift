/// Wire format 4 (docs/PROTOCOL.md is the specification; this file is its single implementation).
///
/// Every datagram starts with the same four bytes: message type, a reserved zero byte, and the sender's 16-bit
/// path id (high byte: the sender's link number, low byte: the path on that link). Integers are little-endian.
///
///     transport (data 4, probe 5, control 6, parity 7), 28-byte header:
///       0 type | 1 stripe distance (data, section 16; else 0) | 2-3 path id | 4-7 receiver index | 8-15 counter | 16-19 path sequence | 20-27 copy tag
///       28... payload (one AEAD body shared by every copy of the packet), then its 16-byte AEAD tag
///     initiation (1), 148 bytes, and response (2), 60 bytes: the Noise IKpsk2 handshake (HandshakeMessages)
///     cookie reply (3), 60 bytes: a router under load asks for mac2 (CookieMessages)
public enum WireFormat {
    /// Message types (byte 0).
    public enum MessageType: UInt8 {
        case initiation = 1
        case response = 2
        case cookieReply = 3
        case data = 4
        case probe = 5
        case control = 6
        case parity = 7
    }

    /// Bytes in front of a transport payload.
    public static let transportHeaderSize = 28
    /// Where the 8-byte copy tag sits in a transport header.
    public static let copyTagOffset = 20
    /// Bytes behind a transport payload (AEAD tag).
    public static let tagSize = 16
    /// Header plus tag: what a transport message adds to the inner packet.
    public static let transportOverhead = transportHeaderSize + tagSize
    /// Size of a handshake initiation.
    public static let initiationSize = 148
    /// Size of a handshake response (smaller than an initiation: a response never amplifies).
    public static let responseSize = 60
    /// Size of a probe payload (before the tag).
    public static let probePayloadSize = 24
    /// Largest datagram the core accepts; anything longer is dropped as oversized.
    public static let maximumDatagramSize = 65535

    /// Outer overhead per packet for an IPv4 or IPv6 underlay: IP + UDP + transport overhead.
    public static func outerOverhead(ipv6: Bool) -> Int {
        (ipv6 ? 40 : 20) + 8 + transportOverhead
    }
}

/// Little-endian loads and stores at byte offsets of a raw buffer (unaligned-safe).
@usableFromInline
enum LE {
    @inline(__always) @usableFromInline
    static func u16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inline(__always) @usableFromInline
    static func u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always) @usableFromInline
    static func u64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inline(__always) @usableFromInline
    static func put(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt16) {
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inline(__always) @usableFromInline
    static func put(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inline(__always) @usableFromInline
    static func put(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt64) {
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self)
    }
}

/// The fields of a transport header, decoded.
public struct TransportHeader: Equatable {
    public var type: WireFormat.MessageType
    public var pathID: UInt16
    public var receiverIndex: UInt32
    public var counter: UInt64
    public var pathSequence: UInt32

    public init(type: WireFormat.MessageType, pathID: UInt16, receiverIndex: UInt32, counter: UInt64, pathSequence: UInt32) {
        self.type = type; self.pathID = pathID; self.receiverIndex = receiverIndex
        self.counter = counter; self.pathSequence = pathSequence
    }

    /// Writes the 28 header bytes at `p`, the copy tag as zero (sealing writes it).
    @inline(__always)
    public func write(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: type.rawValue, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
        LE.put(p, 2, pathID)
        LE.put(p, 4, receiverIndex)
        LE.put(p, 8, counter)
        LE.put(p, 16, pathSequence)
        LE.put(p, 20, UInt64(0))
    }

    /// Reads a header from a datagram of `length` bytes; nil when it is too short or not a transport message.
    @inline(__always)
    public static func read(from p: UnsafeRawPointer, length: Int) -> TransportHeader? {
        guard length >= WireFormat.transportOverhead,
              let type = WireFormat.MessageType(rawValue: p.load(fromByteOffset: 0, as: UInt8.self)),
              type == .data || type == .probe || type == .control || type == .parity,
              type == .data || p.load(fromByteOffset: 1, as: UInt8.self) == 0 else { return nil }
        return TransportHeader(type: type, pathID: LE.u16(p, 2), receiverIndex: LE.u32(p, 4),
                               counter: LE.u64(p, 8), pathSequence: LE.u32(p, 16))
    }
}
