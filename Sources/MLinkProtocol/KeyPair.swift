import MLinkTypes

/// An X25519 key pair: what `mlink genkey` makes and `mlink pubkey` derives, the same derivation the handshake
/// uses, so a printed public key and the engine's can never differ.
///
/// Private keys are clamped as RFC 7748 section 5 and `wg genkey` do, so they read the same in either tool.
public struct KeyPair: Equatable, Sendable {
    /// The 32-byte private key (clamped).
    public let privateKey: Key32
    /// The public key of `privateKey`.
    public let publicKey: Key32

    /// Why a key pair could not be made.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// libsodium could not initialise (it found no usable random source).
        case sodiumUnavailable
        /// The text is not 44 characters of base64 for 32 bytes; carries the text's length, not the text,
        /// since it may be a private key.
        case notABase64Key(length: Int)

        public var description: String {
            switch self {
            case .sodiumUnavailable: return "libsodium failed to initialise (no random source)"
            case .notABase64Key(let length):
                return "not a base64 X25519 key of 32 bytes (\(length) characters)"
            }
        }
    }

    /// The pair of an existing private key; the key is used as given (X25519 clamps when it multiplies).
    public init(privateKey: Key32) throws {
        guard Crypto.initialize() else { throw Failure.sodiumUnavailable }
        self.privateKey = privateKey
        publicKey = Crypto.publicKey(for: privateKey)
    }

    /// The pair of a private key written as 44 characters of standard base64 (nothing around them).
    public init(privateKeyBase64 text: String) throws {
        guard let key = Key32(base64: text) else { throw Failure.notABase64Key(length: text.count) }
        try self.init(privateKey: key)
    }

    /// A new random pair. The corresponding C call is `randombytes_buf`.
    public static func generate() throws -> KeyPair {
        guard Crypto.initialize() else { throw Failure.sodiumUnavailable }
        return try KeyPair(privateKey: clamped(Crypto.randomKey()))
    }

    /// `key` with the X25519 bits fixed: the low three cleared, the top cleared, the second-highest set.
    public static func clamped(_ key: Key32) -> Key32 {
        var bytes = key.bytes
        bytes[0] &= 248
        bytes[31] &= 127
        bytes[31] |= 64
        return Key32(bytes: bytes)!
    }
}
