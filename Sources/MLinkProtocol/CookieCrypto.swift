import CSodium
import MLinkTypes

/// The libsodium calls of the cookie exchange (docs/PROTOCOL.md section 5.2), beside `Crypto.swift`'s: keyed
/// BLAKE2b-128 under a 16-byte key (mac2) and XChaCha20-Poly1305 of the 16-byte cookie. All on the stack: a
/// router under a flood runs them once per initiation.
extension Crypto {
    /// Keyed BLAKE2b-128 of `length` bytes at `data` under the 16 bytes at `key`, written to `out` (16 bytes).
    static func keyedHash16(key16 key: UnsafeRawPointer, data: UnsafeRawPointer, length: Int, into out: UnsafeMutableRawPointer) {
        _ = crypto_generichash_blake2b(out.assumingMemoryBound(to: UInt8.self), 16, data.assumingMemoryBound(to: UInt8.self),
                                       UInt64(length), key.assumingMemoryBound(to: UInt8.self), 16)
    }

    /// True when the 16 bytes at `a` and `b` are equal, in constant time.
    static func equal16(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Bool {
        crypto_verify_16(a.assumingMemoryBound(to: UInt8.self), b.assumingMemoryBound(to: UInt8.self)) == 0
    }

    /// XChaCha20-Poly1305 (IETF) of the 16 bytes at `plaintext` into 32 bytes at `out` (ciphertext, then tag).
    static func sealCookie(key: Key32, nonce: UnsafeRawPointer, associatedData ad: UnsafeRawPointer, adLength: Int,
                           plaintext: UnsafeRawPointer, into out: UnsafeMutableRawPointer) {
        withUnsafeBytes(of: key) { k in
            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                out.assumingMemoryBound(to: UInt8.self), nil, plaintext.assumingMemoryBound(to: UInt8.self), 16,
                ad.assumingMemoryBound(to: UInt8.self), UInt64(adLength), nil, nonce.assumingMemoryBound(to: UInt8.self),
                k.bindMemory(to: UInt8.self).baseAddress!)
        }
    }

    /// Opens the 32 bytes at `ciphertext` (16 + tag) into 16 bytes at `out`; false when the tag does not verify.
    static func openCookie(key: Key32, nonce: UnsafeRawPointer, associatedData ad: UnsafeRawPointer, adLength: Int,
                           ciphertext: UnsafeRawPointer, into out: UnsafeMutableRawPointer) -> Bool {
        withUnsafeBytes(of: key) { k in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
                out.assumingMemoryBound(to: UInt8.self), nil, nil, ciphertext.assumingMemoryBound(to: UInt8.self), 32,
                ad.assumingMemoryBound(to: UInt8.self), UInt64(adLength), nonce.assumingMemoryBound(to: UInt8.self),
                k.bindMemory(to: UInt8.self).baseAddress!) == 0
        }
    }

    /// Fills `count` bytes at `p` from libsodium's random source.
    static func randomBytes(_ p: UnsafeMutableRawPointer, count: Int) { randombytes_buf(p, count) }
}
