import MLinkLeases
import MLinkTypes

/// A deterministic stream of keys (SplitMix64), so failures are reproducible.
struct KeySource {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func key() -> Key32 { Key32(w0: next(), w1: next(), w2: next(), w3: next()) }
}

func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func net(_ text: String) -> IPNetwork { IPNetwork(text)! }

func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// One key from seed `seed`.
func someKey(_ seed: UInt64) -> Key32 {
    var source = KeySource(state: seed)
    return source.key()
}
