import CSodium
import MLinkTypes

/// X25519 key operations over libsodium.
public enum KeyDerivation {
    /// Errors from libsodium.
    public enum Failure: Error, CustomStringConvertible {
        case sodiumUnavailable
        case invalidKey
        public var description: String {
            switch self {
            case .sodiumUnavailable: return "libsodium failed to initialise"
            case .invalidKey: return "the private key does not give a valid public key"
            }
        }
    }

    /// Initialises libsodium once (idempotent).
    public static func prepare() throws {
        guard sodium_init() >= 0 else { throw Failure.sodiumUnavailable }
    }

    /// A new random private key, clamped as X25519 expects. The corresponding C call is `randombytes_buf`.
    public static func generatePrivateKey() throws -> Key32 {
        try prepare()
        var bytes = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&bytes, 32)
        bytes[0] &= 248
        bytes[31] &= 127
        bytes[31] |= 64
        return Key32(bytes: bytes)!
    }

    /// The public key of `privateKey`. The corresponding C call is `crypto_scalarmult_base`.
    public static func publicKey(for privateKey: Key32) throws -> Key32 {
        try prepare()
        var secret = privateKey.bytes
        defer { sodium_memzero(&secret, 32) }
        var result = [UInt8](repeating: 0, count: 32)
        guard crypto_scalarmult_base(&result, secret) == 0, let key = Key32(bytes: result) else { throw Failure.invalidKey }
        return key
    }
}
