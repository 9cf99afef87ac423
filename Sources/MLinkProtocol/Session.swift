import MLinkTypes

/// One session between two peers, shared by every connection of the bundle.
///
/// The send counter is at once the AEAD nonce (with the path id: see `Crypto.TransportNonce`), the de-duplication
/// key and the replay key. The receive window is updated only after a packet authenticated. Keys come from one
/// Noise handshake, so a new handshake (after a restart too) means new keys: counters restart at 1 without ever
/// reusing a (key, nonce) pair.
public struct Session {
    /// Our index: what the peer writes as receiver index.
    public let localIndex: UInt32
    /// The peer's index: what we write as receiver index.
    public var remoteIndex: UInt32
    /// Last counter sent (the next message takes `sendCounter + 1`).
    public var sendCounter: UInt64 = 0
    /// Counters seen from the peer.
    public var window: ReplayWindow
    /// When the handshake completed (monotonic ns).
    public let established: UInt64
    /// True when we started the handshake (the host); only the initiator rekeys.
    public let isInitiator: Bool
    let sendKey: Key32
    let receiveKey: Key32

    init(localIndex: UInt32, remoteIndex: UInt32, established: UInt64, maximumAge: UInt64, isInitiator: Bool,
         sendKey: Key32, receiveKey: Key32) {
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        self.established = established
        self.isInitiator = isInitiator
        self.sendKey = sendKey
        self.receiveKey = receiveKey
        window = ReplayWindow(maximumAge: maximumAge)
    }

    /// Encrypts the `payloadLength` bytes at `header + 24` in place and writes the tag behind them. The 24 header
    /// bytes (already written) are the associated data; the nonce comes from their path id and counter.
    @inline(__always)
    func seal(header: UnsafeMutableRawPointer, payloadLength: Int) {
        let nonce = Crypto.TransportNonce(pathID: LE.u16(header, 2), counter: LE.u64(header, 8))
        let payload = header + WireFormat.transportHeaderSize
        Crypto.sealTransport(key: sendKey, nonce: nonce, header: header, headerLength: WireFormat.transportHeaderSize,
                             payload: payload, length: payloadLength, tag: payload + payloadLength)
    }

    /// True when the tag of a transport message of `length` bytes verifies. Decrypts nothing.
    @inline(__always)
    func verify(_ message: UnsafeRawPointer, length: Int) -> Bool {
        let nonce = Crypto.TransportNonce(pathID: LE.u16(message, 2), counter: LE.u64(message, 8))
        let payloadLength = length - WireFormat.transportOverhead
        return Crypto.verifyTransport(key: receiveKey, nonce: nonce, header: message,
                                      headerLength: WireFormat.transportHeaderSize,
                                      ciphertext: message + WireFormat.transportHeaderSize, length: payloadLength,
                                      tag: message + WireFormat.transportHeaderSize + payloadLength)
    }

    /// Decrypts the payload of a verified transport message in place.
    @inline(__always)
    func decrypt(_ message: UnsafeMutableRawPointer, length: Int) {
        let nonce = Crypto.TransportNonce(pathID: LE.u16(message, 2), counter: LE.u64(message, 8))
        Crypto.decryptTransport(key: receiveKey, nonce: nonce, payload: message + WireFormat.transportHeaderSize,
                                length: length - WireFormat.transportOverhead)
    }
}
