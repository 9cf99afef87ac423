import CSodium
import MLinkProtocol
import MLinkTypes

/// X25519 key operations over libsodium.
public enum KeyDerivation {
    /// Errors from libsodium.
    public enum Failure: Error, CustomStringConvertible {
        case sodiumUnavailable
        public var description: String {
            switch self {
            case .sodiumUnavailable: return "libsodium failed to initialise"
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

    /// The public key of `privateKey`: the protocol core's derivation, so `pubkey` and the engine cannot differ.
    public static func publicKey(for privateKey: Key32) throws -> Key32 {
        try prepare()
        return TunnelEngine.publicKey(for: privateKey)
    }
}
