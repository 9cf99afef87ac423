import MLinkTypes
@testable import MLinkProtocol

/// Nanosecond helpers for the fake clock.
enum Time {
    static let millisecond: UInt64 = 1_000_000
    static let second: UInt64 = 1_000_000_000
}

/// Builders for the values the tests use over and over.
enum Fixture {
    static func address(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { preconditionFailure("bad test address \(text)") }
        return address
    }

    static func network(_ text: String) -> IPNetwork {
        guard let network = IPNetwork(text) else { preconditionFailure("bad test network \(text)") }
        return network
    }

    static func socket(_ text: String) -> SocketAddress {
        guard case .success(let endpoint) = Endpoint.parse(text), case .address(let address) = endpoint.host else {
            preconditionFailure("bad test endpoint \(text)")
        }
        return SocketAddress(address: address, port: endpoint.port)
    }

    /// A wall clock for initiation timestamps: late 2026, one millisecond further at every reading, so every
    /// engine of a test process (also one "restarted" later) sends newer timestamps than those before it.
    static func wallClock() -> UInt64 {
        wallClockReading += 1_000_000
        return wallClockReading
    }
    nonisolated(unsafe) static var wallClockReading: UInt64 = 1_795_000_000_000_000_000

    /// A distinct, recognisable key per number.
    static func key(_ n: UInt64) -> Key32 {
        Key32(w0: 0x6d6c_696e_6b00_0000 | n, w1: n &* 3, w2: n &* 5, w3: n &* 7)
    }

    /// A deterministic index source: distinct, non-zero values (the router redraws on collisions forever
    /// otherwise).
    static func indexSource(base: UInt32) -> () -> UInt32 {
        var next = base
        return {
            next &+= 1
            if next == 0 { next = 1 }
            return next
        }
    }

    /// A minimal IPv4 packet: a 20-byte header (version 4, IHL 5, UDP, no checksum) and a payload whose first
    /// 8 bytes are `sequence`, big-endian, followed by `padding` filler bytes.
    static func ipv4Packet(source: String, destination: String, sequence: UInt64, padding: Int = 12) -> [UInt8] {
        let total = 20 + 8 + padding
        var p = [UInt8](repeating: 0, count: total)
        p[0] = 0x45
        p[2] = UInt8(total >> 8); p[3] = UInt8(total & 0xff)
        p[8] = 64
        p[9] = 17
        p.replaceSubrange(12..<16, with: address(source).bytes)
        p.replaceSubrange(16..<20, with: address(destination).bytes)
        for i in 0..<8 { p[20 + i] = UInt8(truncatingIfNeeded: sequence >> UInt64(56 - 8 * i)) }
        for i in 0..<padding { p[28 + i] = UInt8(truncatingIfNeeded: 0xa0 + i) }
        return p
    }

    /// The sequence number `ipv4Packet` wrote, or nil when the packet is too short.
    static func sequence(ofInner packet: [UInt8]) -> UInt64? {
        guard packet.count >= 28 else { return nil }
        var s: UInt64 = 0
        for i in 0..<8 { s = s << 8 | UInt64(packet[20 + i]) }
        return s
    }

    /// A minimal IPv6 header (40 bytes) plus `payload`.
    static func ipv6Packet(source: String, destination: String, payload: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: 40)
        p[0] = 0x60
        p[4] = UInt8(payload.count >> 8); p[5] = UInt8(payload.count & 0xff)
        p[6] = 17
        p[7] = 64
        p.replaceSubrange(8..<24, with: address(source).bytes)
        p.replaceSubrange(24..<40, with: address(destination).bytes)
        return p + payload
    }
}

/// Little-endian field access on byte arrays, written independently of the code under test.
extension Array where Element == UInt8 {
    func le16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }

    func le32(_ offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << UInt32(8 * $1) }
    }

    func le64(_ offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(self[offset + $1]) << UInt64(8 * $1) }
    }

    mutating func putLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        for i in 0..<(T.bitWidth / 8) { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}

extension Session {
    /// The decrypted copy of a transport datagram sent to this session (header intact), or nil when its copy tag
    /// or its body does not verify.
    func opened(_ bytes: [UInt8]) -> [UInt8]? {
        var copy = bytes
        let length = copy.count
        guard length >= WireFormat.transportOverhead,
              copy.withUnsafeBytes({ verifyCopy($0.baseAddress!, length: length) }),
              copy.withUnsafeMutableBytes({ open($0.baseAddress!, length: length) }) else { return nil }
        return copy
    }
}
