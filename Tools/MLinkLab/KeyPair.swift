import CSodium
import MLinkTypes

/// An X25519 key pair, as `mlink genkey` / `mlink pubkey` would make it.
struct KeyPair: Equatable {
    let privateKey: Key32
    let publicKey: Key32

    /// The pair for a given private key; the public key is derived.
    ///
    /// The corresponding C function is `crypto_scalarmult_base` (it clamps the scalar itself).
    init(privateKey: Key32) {
        var publicBytes = [UInt8](repeating: 0, count: 32)
        privateKey.withBytes { secret in
            _ = crypto_scalarmult_base(&publicBytes, secret.bindMemory(to: UInt8.self).baseAddress!)
        }
        self.privateKey = privateKey
        self.publicKey = Key32(bytes: publicBytes)!
    }

    /// A new random pair; the private key is clamped the way WireGuard writes it.
    ///
    /// The corresponding C functions are `sodium_init` and `randombytes_buf`.
    static func generate() -> KeyPair {
        precondition(sodium_init() >= 0, "libsodium failed to initialize")
        var secret = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&secret, secret.count)
        secret[0] &= 248
        secret[31] = (secret[31] & 127) | 64
        return KeyPair(privateKey: Key32(bytes: secret)!)
    }
}
