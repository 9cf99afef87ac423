/// An IPv4 or IPv6 address, stored as two 64-bit words so that masking and comparison stay branch-light.
///
/// IPv4 lives in the low 32 bits of `low` with `high == 0` and `isIPv6 == false`; the two families never compare
/// equal. Parsing and printing are hand-written so that the protocol core needs neither Foundation nor libc.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// True for IPv6.
    public let isIPv6: Bool
    /// The high 64 bits of an IPv6 address (network byte order semantics: the first byte is the top byte).
    public let high: UInt64
    /// The low 64 bits of an IPv6 address, or the IPv4 address in its low 32 bits.
    public let low: UInt64

    /// An IPv4 address from its 32-bit value (first octet in the top byte).
    public init(ipv4 value: UInt32) {
        isIPv6 = false; high = 0; low = UInt64(value)
    }

    /// An IPv6 address from its two 64-bit halves.
    public init(ipv6High high: UInt64, low: UInt64) {
        isIPv6 = true; self.high = high; self.low = low
    }

    /// An address from its bytes in network order: 4 bytes for IPv4, 16 for IPv6; nil for any other length.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        if bytes.count == 4 {
            var v: UInt32 = 0
            for b in bytes { v = v << 8 | UInt32(b) }
            self.init(ipv4: v)
        } else if bytes.count == 16 {
            var h: UInt64 = 0, l: UInt64 = 0, i = 0
            for b in bytes {
                if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
                i += 1
            }
            self.init(ipv6High: h, low: l)
        } else {
            return nil
        }
    }

    /// The IPv4 value; meaningful only when `isIPv6` is false.
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// The address bytes in network order (4 or 16 bytes).
    public var bytes: [UInt8] {
        if !isIPv6 {
            let v = ipv4Value
            return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }
        var out = [UInt8]()
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(high >> UInt64(shift) & 0xff)) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(low >> UInt64(shift) & 0xff)) }
        return out
    }

    /// Address width in bits: 32 or 128.
    public var bitWidth: Int { isIPv6 ? 128 : 32 }

    /// True for 0.0.0.0 and ::.
    public var isUnspecified: Bool { high == 0 && low == 0 }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` compression and an embedded IPv4 tail).
    public init?(_ text: String) {
        if text.contains(":") {
            guard let v6 = IPAddress.parseIPv6(Substring(text)) else { return nil }
            self = v6
        } else {
            guard let v4 = IPAddress.parseIPv4(Substring(text)) else { return nil }
            self.init(ipv4: v4)
        }
    }

    static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt32(part), octet <= 255 else { return nil }
            if part.count > 1 && part.first == "0" { return nil }  // no ambiguous octal forms
            value = value << 8 | octet
        }
        return value
    }

    static func parseIPv6(_ text: Substring) -> IPAddress? {
        var groups: [UInt16] = []
        var tailGroups: [UInt16] = []
        var sawDoubleColon = false
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        if halves.count == 2 { sawDoubleColon = true }
        func parseGroups(_ part: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if allowIPv4Tail && i == fields.count - 1 && field.contains(".") {
                    guard let v4 = parseIPv4(field) else { return nil }
                    out.append(UInt16(v4 >> 16)); out.append(UInt16(v4 & 0xffff))
                    continue
                }
                guard (1...4).contains(field.count), field.allSatisfy({ $0.isASCII && $0.isHexDigit }),
                      let g = UInt16(field, radix: 16) else { return nil }
                out.append(g)
            }
            return out
        }
        guard let head = parseGroups(halves[0], allowIPv4Tail: !sawDoubleColon) else { return nil }
        groups = head
        if sawDoubleColon {
            guard let tail = parseGroups(halves[1], allowIPv4Tail: true) else { return nil }
            tailGroups = tail
            guard groups.count + tailGroups.count <= 7 else { return nil }
            groups += Array(repeating: 0, count: 8 - groups.count - tailGroups.count) + tailGroups
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        return IPAddress(ipv6High: h, low: l)
    }

    /// Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed).
    public var description: String {
        if !isIPv6 {
            let v = ipv4Value
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        }
        var groups = [UInt16]()
        for i in 0..<4 { groups.append(UInt16(high >> UInt64(48 - 16 * i) & 0xffff)) }
        for i in 0..<4 { groups.append(UInt16(low >> UInt64(48 - 16 * i) & 0xffff)) }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLen)..<8)
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv6 != b.isIPv6 { return !a.isIPv6 }
        return (a.high, a.low) < (b.high, b.low)
    }
}

extension Substring {
    /// Splits at "::" (at most once meaningful; more pieces mean invalid text).
    fileprivate func components(separatedByDoubleColon: Void) -> [Substring] {
        var pieces: [Substring] = []
        var start = startIndex
        var i = startIndex
        while i < endIndex {
            let next = index(after: i)
            if self[i] == ":" && next < endIndex && self[next] == ":" {
                pieces.append(self[start..<i])
                start = index(after: next)
                i = start
                continue
            }
            i = next
        }
        pieces.append(self[start..<endIndex])
        return pieces
    }
}
