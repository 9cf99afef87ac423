/// Generations of full-state messages, compared in serial-number arithmetic (RFC 1982), so that the 32-bit counter
/// may wrap (docs/PROTOCOL.md §14.2).
public enum SerialGeneration {
    /// The first generation of a sender started at `unixMilliseconds` (truncated to 32 bits): a restarted sender is
    /// newer than its old self by the milliseconds between, far more than the changes it could have made.
    public static func initial(unixMilliseconds: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: unixMilliseconds) }

    /// True when `candidate` is newer than `last`.
    public static func isNewer(_ candidate: UInt32, than last: UInt32) -> Bool {
        Int32(bitPattern: candidate &- last) > 0
    }
}

/// What a receiver remembers of one peer's full-state messages: the last generation it applied, if any since the
/// peer's session was established.
public struct GenerationGate: Sendable, Equatable {
    public private(set) var last: UInt32?

    public init() {}

    /// True (and remembered) when `generation` should be applied: newer than the last applied, or the first.
    public mutating func admit(_ generation: UInt32) -> Bool {
        if let last, !SerialGeneration.isNewer(generation, than: last) { return false }
        last = generation
        return true
    }

    /// Forget the last generation (a new session: the peer may have restarted).
    public mutating func reset() { last = nil }
}
