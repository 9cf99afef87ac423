import MLinkTypes

/// A host's handshake in flight.
struct PendingHandshake {
    var noise: NoiseHandshake
    /// The index we offered (the router writes it as receiver index).
    var localIndex: UInt32
    /// The complete initiation; its path id is rewritten for each connection it is sent on.
    var message: [UInt8]
    /// When it was made (monotonic ns).
    var started: UInt64
}
