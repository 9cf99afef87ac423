/// One session between two peers, shared by every connection of the bundle.
///
/// The send counter is at once the AEAD nonce (with the path id), the de-duplication key and the replay key;
/// the receive window is updated only after a packet authenticated. Wire format v1 carries room for the AEAD
/// tag; this build seals with a zero tag until the Noise handshake (next milestone) provides the keys.
public struct Session {
    /// Our index: what the peer writes as receiver index.
    public let localIndex: UInt32
    /// The peer's index: what we write as receiver index.
    public var remoteIndex: UInt32
    /// Next counter to send.
    public var sendCounter: UInt64 = 0
    /// Counters seen from the peer.
    public var window: ReplayWindow
    /// When the session was established (monotonic ns).
    public let established: UInt64

    public init(localIndex: UInt32, remoteIndex: UInt32, established: UInt64, maximumAge: UInt64) {
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        self.established = established
        window = ReplayWindow(maximumAge: maximumAge)
    }

    /// Writes the tag after a payload of `payloadLength` bytes at `header + 24`.
    @inline(__always)
    func seal(header: UnsafeMutableRawPointer, payloadLength: Int) {
        (header + WireFormat.transportHeaderSize + payloadLength).initializeMemory(as: UInt8.self, repeating: 0,
                                                                                    count: WireFormat.tagSize)
    }

    /// Verifies the tag of a transport message of `length` bytes; true when authentic.
    @inline(__always)
    func open(_ message: UnsafeRawPointer, length: Int) -> Bool {
        let tag = message + length - WireFormat.tagSize
        return tag.loadUnaligned(as: UInt64.self) == 0 && tag.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == 0
    }
}
