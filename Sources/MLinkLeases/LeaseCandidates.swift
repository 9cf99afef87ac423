import CSodium
import MLinkTypes

/// The deterministic first choices of a host's address (PROTOCOL.md §14.1, "Allocation").
///
/// `BLAKE2b-64("mlink pool" || key || attempt as u32 LE)`, read little-endian, modulo the slice size. Every router
/// computes the same sequence for a key, so a router that lost its lease file offers most hosts their old
/// address first, and hosts spread over the slice without coordination.
public enum LeaseCandidates {
    static let domain: [UInt8] = Array("mlink pool".utf8)

    /// The 64-bit hash for `key` and `attempt`.
    public static func hash(key: Key32, attempt: UInt32) -> UInt64 {
        var input = [UInt8](repeating: 0, count: domain.count + 32 + 4)
        input.replaceSubrange(0..<domain.count, with: domain)
        input.replaceSubrange(domain.count..<(domain.count + 32), with: key.bytes)
        for shift in 0..<4 { input[domain.count + 32 + shift] = UInt8(attempt >> UInt32(8 * shift) & 0xff) }
        var output = [UInt8](repeating: 0, count: 8)
        _ = crypto_generichash(&output, 8, input, UInt64(input.count), nil, 0)
        var value: UInt64 = 0
        for (index, byte) in output.enumerated() { value |= UInt64(byte) << UInt64(8 * index) }
        return value
    }

    /// The offset inside a slice of `size` addresses for `key` and `attempt`.
    public static func offset(key: Key32, attempt: UInt32, size: UInt64) -> UInt64 {
        hash(key: key, attempt: attempt) % size
    }
}
