import MLinkTypes

/// One session between two peers, shared by every connection of the bundle.
///
/// The send counter is at once the AEAD nonce (`Crypto.TransportNonce`: one seal per packet, however many copies),
/// the de-duplication key and the replay key. The receive window is updated only after a packet authenticated. Keys come from one
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
    /// The copy-tag keys of the two directions (PROTOCOL.md section 9).
    let sendCopyKey: Crypto.CopyKey
    let receiveCopyKey: Crypto.CopyKey

    init(localIndex: UInt32, remoteIndex: UInt32, established: UInt64, maximumAge: UInt64, isInitiator: Bool,
         sendKey: Key32, receiveKey: Key32) {
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        self.established = established
        self.isInitiator = isInitiator
        self.sendKey = sendKey
        self.receiveKey = receiveKey
        sendCopyKey = Crypto.copyKey(for: sendKey)
        receiveCopyKey = Crypto.copyKey(for: receiveKey)
        window = ReplayWindow(maximumAge: maximumAge)
    }

    /// Seals the `payloadLength` bytes at `header + transportHeaderSize` in place (one AEAD body for every copy of
    /// the packet), writes the AEAD tag behind them and the copy tag for the header as written. The header bytes
    /// 0..19 must be written already.
    @inline(__always)
    func seal(header: UnsafeMutableRawPointer, payloadLength: Int) {
        let payload = header + WireFormat.transportHeaderSize
        Crypto.sealTransport(key: sendKey, nonce: Crypto.TransportNonce(counter: LE.u64(header, 8)),
                             associatedData: Crypto.TransportAssociatedData(header: header),
                             payload: payload, length: payloadLength, tag: payload + payloadLength)
        stampCopy(header, payloadLength: payloadLength)
    }

    /// Rewrites the copy tag of a sealed message whose path id or path sequence was changed (the other copies of
    /// a packet are byte copies of the first with those fields rewritten).
    @inline(__always)
    func stampCopy(_ message: UnsafeMutableRawPointer, payloadLength: Int) {
        stampCopy(message, tag: message + WireFormat.transportHeaderSize + payloadLength)
    }

    /// Writes the copy tag of the header at `header` whose AEAD tag is at `tag` (a copy whose header is apart
    /// from the body it shares).
    @inline(__always)
    func stampCopy(_ header: UnsafeMutableRawPointer, tag: UnsafeRawPointer) {
        let copyTag = Crypto.copyTag(key: sendCopyKey, header: header, tag: tag)
        header.storeBytes(of: copyTag, toByteOffset: WireFormat.copyTagOffset, as: UInt64.self)
    }

    /// True when the copy tag of a transport message of `length` bytes verifies: its header is authentic (path id,
    /// path sequence, counter, receiver index) and bound to its AEAD tag. Reads only the header and the tag.
    @inline(__always)
    func verifyCopy(_ message: UnsafeRawPointer, length: Int) -> Bool {
        let expected = Crypto.copyTag(key: receiveCopyKey, header: message, tag: message + length - WireFormat.tagSize)
        let actual = message.loadUnaligned(fromByteOffset: WireFormat.copyTagOffset, as: UInt64.self)
        return (expected ^ actual) == 0
    }

    /// What a receiver decides about a transport message before anything is recorded for it.
    enum Admission {
        /// The copy tag does not verify: the header is not authentic.
        case forged
        /// The session is past its reject-after time.
        case expired
        /// A new counter whose body does not verify.
        case damaged
        /// Authentic: the window's verdict (a new counter's body is verified and decrypted in place).
        case accepted(ReplayWindow.Verdict)
    }

    /// Authenticates the header (copy tag) before anything else looks at the message, so a forged datagram
    /// changes no state; then the session's age and the window; a new counter's body is verified and decrypted
    /// (a copy with a damaged body changes nothing, and an intact copy on another link still delivers). A
    /// duplicate's body is never touched. Records nothing.
    @inline(__always)
    func admit(_ message: UnsafeMutableRawPointer, length: Int, counter: UInt64, now: UInt64,
               rejectAfter: UInt64) -> Admission {
        guard verifyCopy(message, length: length) else { return .forged }
        guard now &- established < rejectAfter else { return .expired }
        let verdict = window.check(counter, now: now)
        if verdict == .new, !open(message, length: length) { return .damaged }
        return .accepted(verdict)
    }

    /// Verifies the body of a message whose copy tag verified and decrypts it in place; false when the body is not
    /// authentic (nothing may then be recorded for its counter).
    @inline(__always)
    func open(_ message: UnsafeMutableRawPointer, length: Int) -> Bool {
        let payload = message + WireFormat.transportHeaderSize
        let payloadLength = length - WireFormat.transportOverhead
        return Crypto.openTransport(key: receiveKey, nonce: Crypto.TransportNonce(counter: LE.u64(message, 8)),
                                    associatedData: Crypto.TransportAssociatedData(header: message),
                                    payload: payload, length: payloadLength, tag: payload + payloadLength)
    }
}
