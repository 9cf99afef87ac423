/// A 32-byte key (X25519 public or private), written in profiles as 44 characters of standard base64.
///
/// The bytes live inline (four words), so copying a key never allocates. `description` never prints the
/// bytes: a private key must not reach a log by accident; use `base64` deliberately.
public struct Key32: Hashable, Sendable, CustomStringConvertible {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The all-zero key.
    public static let zero = Key32(w0: 0, w1: 0, w2: 0, w3: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// A key from exactly 32 bytes; nil for any other length.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 32 else { return nil }
        var words = [UInt64](repeating: 0, count: 4)
        for (i, b) in bytes.enumerated() { words[i / 8] |= UInt64(b) << UInt64(8 * (i % 8)) }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// Decodes standard base64 that must yield exactly 32 bytes.
    public init?(base64 text: String) {
        guard let bytes = Base64.decode(text), let key = Key32(bytes: bytes) else { return nil }
        self = key
    }

    /// The 32 bytes, in order.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        withBytes { raw in for i in 0..<32 { out[i] = raw[i] } }
        return out
    }

    /// Calls `body` with the 32 bytes without copying them to the heap.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try withUnsafeBytes(of: &copy) { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[0..<32]))
        }
    }

    /// The key as 44 characters of base64, the form profiles and `show` use.
    public var base64: String { Base64.encode(bytes) }

    public var description: String { "Key32(…)" }
}
