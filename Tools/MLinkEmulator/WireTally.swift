/// Wire bytes of one direction of a net by what they carried, so a benchmark can say how many bytes each link
/// spent on data, duplicates, probes and control (issue 14).
///
/// A frame counts under the first byte of its UDP payload when that looks like an mlink message (type 1 to 7,
/// second byte 0: docs/PROTOCOL.md section 3), and under 0 ("other": ARP, the bench's plain UDP runs,
/// fragments) otherwise. WireGuard's messages look alike (type 1-4, then zeros), so UDP to or from its default
/// port 51820 (the bench's wireguard-go run) counts as other. Bytes are the frame as on the wire (Ethernet header included, virtio
/// header not). A tally is filled by the relay per frame received, before the emulator decides the frame's
/// fate: what the sender paid for, not what arrived.
public struct WireTally: Codable, Equatable {
    /// Index = mlink message type (1 initiation, 2 response, 3 cookie reply, 4 data, 5 probe, 6 control), 0 other.
    public var bytes = [Int](repeating: 0, count: WireTally.slots)
    public var frames = [Int](repeating: 0, count: WireTally.slots)

    public static let slots = 8
    static let wireGuardPort = 51820

    public init() {}

    /// Counts one Ethernet frame of `length` bytes at `frame`.
    public mutating func count(frame: UnsafeRawPointer, length: Int) {
        let type = WireTally.messageType(frame: frame, length: length)
        bytes[type] &+= length
        frames[type] &+= 1
    }

    /// The mlink message type the frame carries, or 0.
    public static func messageType(frame: UnsafeRawPointer, length: Int) -> Int {
        guard length >= 14 else { return 0 }
        let bytes = frame.assumingMemoryBound(to: UInt8.self)
        let etherType = Int(bytes[12]) << 8 | Int(bytes[13])
        var payload: Int
        switch etherType {
        case 0x0800:
            guard length >= 14 + 20, bytes[14] >> 4 == 4 else { return 0 }
            let headerLength = Int(bytes[14] & 0x0f) * 4
            // Only unfragmented datagrams or first fragments carry the UDP header.
            let fragmentOffset = (Int(bytes[14 + 6]) & 0x1f) << 8 | Int(bytes[14 + 7])
            guard headerLength >= 20, bytes[14 + 9] == 17, fragmentOffset == 0 else { return 0 }
            payload = 14 + headerLength + 8
        case 0x86DD:
            guard length >= 14 + 40 + 8, bytes[14 + 6] == 17 else { return 0 }
            payload = 14 + 40 + 8
        default:
            return 0
        }
        guard length >= payload + 4 else { return 0 }
        let source = Int(bytes[payload - 8]) << 8 | Int(bytes[payload - 7])
        let destination = Int(bytes[payload - 6]) << 8 | Int(bytes[payload - 5])
        guard source != wireGuardPort && destination != wireGuardPort else { return 0 }
        let type = Int(bytes[payload])
        guard type >= 1, type < slots, bytes[payload + 1] == 0 else { return 0 }
        return type
    }
}
