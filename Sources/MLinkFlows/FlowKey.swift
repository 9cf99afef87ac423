import MLinkTypes

/// An inner packet's flow: the 5-tuple (addresses, protocol, ports), read in place from the IP header.
///
/// Non-first IPv4 fragments carry no ports; they are keyed by (source, destination, protocol, IP ID) so that a
/// fragmented datagram's pieces share one entry among themselves (mqvpn does the same), and their ports read 0.
public struct FlowKey: Hashable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The transport protocol (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6...).
    public var proto: UInt8

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16, proto: UInt8) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.proto = proto
    }
}

/// What `PacketHeaders.parse` reads from an inner packet: the flow, the DSCP and where the transport payload starts.
public struct PacketHeaders: Sendable {
    public var key: FlowKey
    /// Differentiated services code point (the top six bits of the IPv4 TOS or IPv6 traffic class).
    public var dscp: UInt8
    /// Offset of the transport header; `payloadOffset` is past it (UDP: +8; TCP: + data offset).
    public var transportOffset: Int
    public var payloadOffset: Int
    /// TCP flags (0 for other protocols).
    public var tcpFlags: UInt8
    /// True for a fragment that is not the first (no transport header).
    public var isLaterFragment: Bool

    static let tcp: UInt8 = 6, udp: UInt8 = 17

    /// Reads the headers of the IPv4 or IPv6 packet of `length` bytes at `p`; nil when it is too short or not IP.
    /// Allocation-free. IPv6 extension headers (hop-by-hop, routing, fragment, destination options) are skipped,
    /// at most four.
    public static func parse(_ p: UnsafeRawPointer, length: Int) -> PacketHeaders? {
        guard length >= 1 else { return nil }
        let version = p.load(as: UInt8.self) >> 4
        var headers: PacketHeaders
        if version == 4 {
            guard length >= 20 else { return nil }
            let ihl = Int(p.load(as: UInt8.self) & 0x0f) * 4
            guard ihl >= 20, length >= ihl else { return nil }
            let fragment = be16(p, 6)
            let later = fragment & 0x1fff != 0
            let proto = p.load(fromByteOffset: 9, as: UInt8.self)
            headers = PacketHeaders(
                key: FlowKey(source: IPAddress(ipv4: be32(p, 12)), destination: IPAddress(ipv4: be32(p, 16)),
                             sourcePort: 0, destinationPort: later ? be16(p, 4) : 0, proto: proto),
                dscp: p.load(fromByteOffset: 1, as: UInt8.self) >> 2, transportOffset: ihl, payloadOffset: ihl,
                tcpFlags: 0, isLaterFragment: later)
            if later { return headers }  // the IP ID stands in for the ports
        } else if version == 6 {
            guard length >= 40 else { return nil }
            let trafficClass = UInt8(truncatingIfNeeded: be16(p, 0) >> 4)
            var next = p.load(fromByteOffset: 6, as: UInt8.self)
            var offset = 40
            var later = false
            for _ in 0..<4 {
                switch next {
                case 0, 43, 60:
                    guard length >= offset + 8 else { return nil }
                    next = p.load(fromByteOffset: offset, as: UInt8.self)
                    offset += (Int(p.load(fromByteOffset: offset + 1, as: UInt8.self)) + 1) * 8
                case 44:
                    guard length >= offset + 8 else { return nil }
                    next = p.load(fromByteOffset: offset, as: UInt8.self)
                    later = be16(p, offset + 2) & 0xfff8 != 0
                    offset += 8
                default:
                    break
                }
            }
            guard length >= offset else { return nil }
            headers = PacketHeaders(
                key: FlowKey(source: IPAddress(ipv6High: be64(p, 8), low: be64(p, 16)),
                             destination: IPAddress(ipv6High: be64(p, 24), low: be64(p, 32)),
                             sourcePort: 0, destinationPort: 0, proto: next),
                dscp: trafficClass >> 2, transportOffset: offset, payloadOffset: offset, tcpFlags: 0, isLaterFragment: later)
            if later { return headers }
        } else {
            return nil
        }
        let t = headers.transportOffset
        switch headers.key.proto {
        case udp:
            guard length >= t + 8 else { return headers }
            headers.key.sourcePort = be16(p, t)
            headers.key.destinationPort = be16(p, t + 2)
            headers.payloadOffset = t + 8
        case tcp:
            guard length >= t + 20 else { return headers }
            headers.key.sourcePort = be16(p, t)
            headers.key.destinationPort = be16(p, t + 2)
            headers.tcpFlags = p.load(fromByteOffset: t + 13, as: UInt8.self)
            headers.payloadOffset = min(length, t + Int(p.load(fromByteOffset: t + 12, as: UInt8.self) >> 4) * 4)
        default:
            break
        }
        return headers
    }
}

@inline(__always) func be16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
    UInt16(p.load(fromByteOffset: offset, as: UInt8.self)) << 8 | UInt16(p.load(fromByteOffset: offset + 1, as: UInt8.self))
}

@inline(__always) func be32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(be16(p, offset)) << 16 | UInt32(be16(p, offset + 2))
}

@inline(__always) func be64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(be32(p, offset)) << 32 | UInt64(be32(p, offset + 4))
}
