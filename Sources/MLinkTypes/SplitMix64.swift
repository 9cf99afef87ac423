/// A small, fast, seedable pseudo-random generator (SplitMix64): the same seed gives the same sequence on every
/// run. The lab's link emulator draws its losses and jitter from it so a run can be repeated, and the tests
/// draw their fuzz inputs from it. Not for keys: those come from libsodium.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
