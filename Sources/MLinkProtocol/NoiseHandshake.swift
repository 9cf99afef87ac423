import MLinkTypes

/// The Noise IK handshake (optionally IKpsk2) over X25519, ChaCha20-Poly1305 and BLAKE2b, as the Noise
/// specification (revision 34) defines it, and nothing else: no wire framing, no timers, no peers. The engine
/// frames its messages (`Handshake`); the test vectors drive it directly.
///
///     IK:                        IKpsk2: the same, and
///       <- s                       every "e" token also does MixKey(e.public)
///       ...                        message 2 ends with "psk": MixKeyAndHash(psk)
///       -> e, es, s, ss
///       <- e, ee, se
///
/// Ephemeral private keys are parameters so that tests can replay published vectors; the engine passes fresh
/// random ones.
struct NoiseHandshake {
    enum Role { case initiator, responder }

    static func protocolName(preSharedKey: Bool) -> String {
        preSharedKey ? "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b" : "Noise_IK_25519_ChaChaPoly_BLAKE2b"
    }

    let role: Role
    let usesPreSharedKey: Bool
    private var symmetric: SymmetricState
    private let localStatic: Key32
    private let localStaticPublic: Key32
    /// The peer's static public key: known in advance by the initiator, learned from message 1 by the responder.
    private(set) var remoteStatic: Key32?
    private var localEphemeral = Key32.zero
    private var remoteEphemeral = Key32.zero
    /// The psk (IKpsk2 only). A responder may set it after message 1, once it knows who is calling.
    var preSharedKey: Key32

    /// `localStatic` is our private key; `remoteStatic` the responder's public key (initiator only).
    init(role: Role, prologue: [UInt8], localStatic: Key32, remoteStatic: Key32?, preSharedKey: Key32?) {
        self.role = role
        usesPreSharedKey = preSharedKey != nil
        self.preSharedKey = preSharedKey ?? .zero
        self.localStatic = localStatic
        localStaticPublic = Crypto.publicKey(for: localStatic)
        self.remoteStatic = remoteStatic
        symmetric = SymmetricState(protocolName: NoiseHandshake.protocolName(preSharedKey: preSharedKey != nil))
        symmetric.mixHash(prologue)
        // Pre-message "<- s": both sides hash the responder's static key.
        symmetric.mixHash(role == .initiator ? remoteStatic!.bytes : localStaticPublic.bytes)
    }

    /// The handshake hash (h), equal on both sides after the last message; vectors check it.
    var handshakeHash: [UInt8] { symmetric.hash }

    // MARK: Message 1: -> e, es, s, ss

    /// Initiator: message 1 carrying `payload` (32 + 48 + payload + 16 bytes); nil on a low-order key.
    mutating func writeMessage1(ephemeral: Key32, payload: [UInt8]) -> [UInt8]? {
        guard let rs = remoteStatic else { return nil }
        var out = writeEphemeral(ephemeral)
        guard let es = Crypto.sharedSecret(ephemeral, rs) else { return nil }
        symmetric.mixKey(es.bytes)
        out += symmetric.encryptAndHash(localStaticPublic.bytes)
        guard let ss = Crypto.sharedSecret(localStatic, rs) else { return nil }
        symmetric.mixKey(ss.bytes)
        out += symmetric.encryptAndHash(payload)
        return out
    }

    /// Responder: reads message 1; returns its payload (and sets `remoteStatic`), nil when it does not verify.
    mutating func readMessage1(_ message: [UInt8]) -> [UInt8]? {
        guard message.count >= 32 + 48 + 16 else { return nil }
        let re = readEphemeral(message)
        guard let es = Crypto.sharedSecret(localStatic, re) else { return nil }
        symmetric.mixKey(es.bytes)
        guard let sBytes = symmetric.decryptAndHash(Array(message[32..<80])), let rs = Key32(bytes: sBytes) else {
            return nil
        }
        remoteStatic = rs
        guard let ss = Crypto.sharedSecret(localStatic, rs) else { return nil }
        symmetric.mixKey(ss.bytes)
        return symmetric.decryptAndHash(Array(message[80...]))
    }

    // MARK: Message 2: <- e, ee, se (, psk)

    /// Responder: message 2 carrying `payload` (32 + payload + 16 bytes); nil on a low-order key.
    mutating func writeMessage2(ephemeral: Key32, payload: [UInt8]) -> [UInt8]? {
        guard let rs = remoteStatic else { return nil }
        var out = writeEphemeral(ephemeral)
        guard let ee = Crypto.sharedSecret(ephemeral, remoteEphemeral) else { return nil }
        symmetric.mixKey(ee.bytes)
        guard let se = Crypto.sharedSecret(ephemeral, rs) else { return nil }
        symmetric.mixKey(se.bytes)
        if usesPreSharedKey { symmetric.mixKeyAndHash(preSharedKey.bytes) }
        out += symmetric.encryptAndHash(payload)
        return out
    }

    /// Initiator: reads message 2; returns its payload, nil when it does not verify.
    mutating func readMessage2(_ message: [UInt8]) -> [UInt8]? {
        guard message.count >= 32 + 16 else { return nil }
        let re = readEphemeral(message)
        guard let ee = Crypto.sharedSecret(localEphemeral, re) else { return nil }
        symmetric.mixKey(ee.bytes)
        guard let se = Crypto.sharedSecret(localStatic, re) else { return nil }
        symmetric.mixKey(se.bytes)
        if usesPreSharedKey { symmetric.mixKeyAndHash(preSharedKey.bytes) }
        return symmetric.decryptAndHash(Array(message[32...]))
    }

    /// The "e" token on the writing side: our ephemeral public key, hashed (and, with a psk, mixed into the key).
    private mutating func writeEphemeral(_ ephemeral: Key32) -> [UInt8] {
        localEphemeral = ephemeral
        let e = Crypto.publicKey(for: ephemeral).bytes
        symmetric.mixHash(e)
        if usesPreSharedKey { symmetric.mixKey(e) }
        return e
    }

    /// The "e" token on the reading side: the first 32 bytes of the message.
    private mutating func readEphemeral(_ message: [UInt8]) -> Key32 {
        let e = Array(message[0..<32])
        remoteEphemeral = Key32(bytes: e)!
        symmetric.mixHash(e)
        if usesPreSharedKey { symmetric.mixKey(e) }
        return remoteEphemeral
    }

    /// The transport keys after message 2: (initiator to responder, responder to initiator).
    func split() -> (initiatorToResponder: Key32, responderToInitiator: Key32) {
        let keys = Crypto.hkdf(chainingKey: symmetric.chainingKey, input: [], outputs: 2)
        return (Key32(bytes: keys[0][0..<32])!, Key32(bytes: keys[1][0..<32])!)
    }
}

/// Noise's SymmetricState with its CipherState folded in (k, n).
struct SymmetricState {
    private(set) var chainingKey: [UInt8]
    private(set) var hash: [UInt8]
    private var key: Key32?
    private var nonce: UInt64 = 0

    init(protocolName: String) {
        let name = Array(protocolName.utf8)
        if name.count <= Crypto.hashLength {
            hash = name + [UInt8](repeating: 0, count: Crypto.hashLength - name.count)
        } else {
            hash = Crypto.hash(name)
        }
        chainingKey = hash
    }

    mutating func mixHash(_ data: [UInt8]) { hash = Crypto.hash(hash, data) }

    mutating func mixKey(_ input: [UInt8]) {
        let out = Crypto.hkdf(chainingKey: chainingKey, input: input, outputs: 2)
        chainingKey = out[0]
        key = Key32(bytes: out[1][0..<32])
        nonce = 0
    }

    mutating func mixKeyAndHash(_ input: [UInt8]) {
        let out = Crypto.hkdf(chainingKey: chainingKey, input: input, outputs: 3)
        chainingKey = out[0]
        mixHash(out[1])
        key = Key32(bytes: out[2][0..<32])
        nonce = 0
    }

    mutating func encryptAndHash(_ plaintext: [UInt8]) -> [UInt8] {
        guard let key else {
            mixHash(plaintext)
            return plaintext
        }
        let ciphertext = Crypto.seal(key: key, nonce: nonce, associatedData: hash, plaintext: plaintext)
        nonce += 1
        mixHash(ciphertext)
        return ciphertext
    }

    mutating func decryptAndHash(_ ciphertext: [UInt8]) -> [UInt8]? {
        guard let key else {
            mixHash(ciphertext)
            return ciphertext
        }
        guard let plaintext = Crypto.open(key: key, nonce: nonce, associatedData: hash, ciphertext: ciphertext) else {
            return nil
        }
        nonce += 1
        mixHash(ciphertext)
        return plaintext
    }
}
