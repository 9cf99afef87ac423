import MLinkTypes

/// Reads addresses from an inner IP packet (what the TUN device hands over) without copying it.
public enum InnerPacket {
    /// The destination address of an IPv4 or IPv6 packet; nil when the packet is too short or not IP.
    @inline(__always)
    public static func destination(_ p: UnsafeRawPointer, length: Int) -> IPAddress? {
        address(p, length: length, v4Offset: 16, v6Offset: 24)
    }

    /// The source address of an IPv4 or IPv6 packet; nil when the packet is too short or not IP.
    @inline(__always)
    public static func source(_ p: UnsafeRawPointer, length: Int) -> IPAddress? {
        address(p, length: length, v4Offset: 12, v6Offset: 8)
    }

    @inline(__always)
    static func address(_ p: UnsafeRawPointer, length: Int, v4Offset: Int, v6Offset: Int) -> IPAddress? {
        guard length >= 1 else { return nil }
        switch p.load(as: UInt8.self) >> 4 {
        case 4:
            guard length >= 20 else { return nil }
            return IPAddress(ipv4: UInt32(bigEndian: p.loadUnaligned(fromByteOffset: v4Offset, as: UInt32.self)))
        case 6:
            guard length >= 40 else { return nil }
            return IPAddress(ipv6High: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: v6Offset, as: UInt64.self)),
                             low: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: v6Offset + 8, as: UInt64.self)))
        default:
            return nil
        }
    }
}
