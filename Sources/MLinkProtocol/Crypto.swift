import CSodium
import MLinkTypes

/// Every libsodium call of the protocol core: X25519, BLAKE2b (plain, keyed, HMAC, HKDF) and ChaCha20-Poly1305.
///
/// Two families live here. The handshake functions work on `[UInt8]` because a handshake is rare (rate-limited,
/// a few per minute per peer) and clarity wins there. The transport functions work in place on raw pointers with
/// stack-only scratch memory, because they run once per packet.
///
/// Wire format 3 seals each packet once (`sealTransport`), however many copies leave, and authenticates what
/// differs per copy (path id, path sequence) with an 8-byte SipHash-2-4 copy tag over the header and the AEAD tag
/// (`copyTag`). A receiver checks the copy tag first: a duplicate copy (half of what arrives in redundant mode)
/// costs one SipHash of 36 bytes and its body is never touched; a new one is opened with the one-shot RFC 8439
/// AEAD (`openTransport`), and its counter is recorded only when that verifies.
enum Crypto {
    static let keyLength = 32
    static let tagLength = 16
    /// BLAKE2b's output length as Noise uses it (HASHLEN).
    static let hashLength = 64
    /// BLAKE2b's block length (BLOCKLEN), used by HMAC.
    static let blockLength = 128

    /// Makes libsodium ready (idempotent); false when it cannot initialize (no usable random source).
    static func initialize() -> Bool { sodium_init() >= 0 }

    // MARK: X25519

    /// The public key of an X25519 private key.
    static func publicKey(for privateKey: Key32) -> Key32 {
        var out = Key32.zero
        withUnsafeMutableBytes(of: &out) { o in
            withUnsafeBytes(of: privateKey) { k in
                _ = crypto_scalarmult_curve25519_base(o.bindMemory(to: UInt8.self).baseAddress!,
                                                      k.bindMemory(to: UInt8.self).baseAddress!)
            }
        }
        return out
    }

    /// X25519(private, public); nil when the result is all zeros (a low-order public key: refused).
    static func sharedSecret(_ privateKey: Key32, _ publicKey: Key32) -> Key32? {
        var out = Key32.zero
        let status = withUnsafeMutableBytes(of: &out) { o in
            withUnsafeBytes(of: privateKey) { k in
                withUnsafeBytes(of: publicKey) { p in
                    crypto_scalarmult_curve25519(o.bindMemory(to: UInt8.self).baseAddress!,
                                                 k.bindMemory(to: UInt8.self).baseAddress!,
                                                 p.bindMemory(to: UInt8.self).baseAddress!)
                }
            }
        }
        return status == 0 ? out : nil
    }

    /// 32 random bytes (a fresh ephemeral private key).
    static func randomKey() -> Key32 {
        var out = Key32.zero
        withUnsafeMutableBytes(of: &out) { randombytes_buf($0.baseAddress!, 32) }
        return out
    }

    /// A uniformly random 32-bit value.
    static func randomUInt32() -> UInt32 { randombytes_random() }

    // MARK: BLAKE2b

    /// BLAKE2b of the concatenation of `parts`, `length` bytes, optionally keyed.
    static func hash(_ parts: [UInt8]..., length: Int = hashLength, key: [UInt8] = []) -> [UInt8] {
        hash(parts, length: length, key: key)
    }

    private static func hash(_ parts: [[UInt8]], length: Int, key: [UInt8]) -> [UInt8] {
        // The state type is 64-byte aligned, which Swift imports as opaque: give it aligned scratch memory.
        let state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_blake2b_statebytes(), alignment: 64)
        defer { state.deallocate() }
        let s = OpaquePointer(state)
        _ = key.withUnsafeBufferPointer { k in
            crypto_generichash_blake2b_init(s, key.isEmpty ? nil : k.baseAddress, key.count, length)
        }
        for part in parts { _ = crypto_generichash_blake2b_update(s, part, UInt64(part.count)) }
        var out = [UInt8](repeating: 0, count: length)
        _ = crypto_generichash_blake2b_final(s, &out, length)
        return out
    }

    /// HMAC-BLAKE2b (RFC 2104 with a 128-byte block), as Noise defines HMAC for BLAKE2b. Keys are at most 64 bytes.
    static func hmac(key: [UInt8], _ data: [UInt8]...) -> [UInt8] {
        precondition(key.count <= blockLength)
        var inner = [UInt8](repeating: 0x36, count: blockLength)
        var outer = [UInt8](repeating: 0x5c, count: blockLength)
        for i in key.indices {
            inner[i] ^= key[i]
            outer[i] ^= key[i]
        }
        let innerHash = hash([inner] + data, length: hashLength, key: [])
        return hash(outer, innerHash)
    }

    /// Noise's HKDF: two or three 64-byte outputs from a chaining key and input key material.
    static func hkdf(chainingKey: [UInt8], input: [UInt8], outputs: Int) -> [[UInt8]] {
        let tempKey = hmac(key: chainingKey, input)
        var result = [hmac(key: tempKey, [1])]
        for n in 2...outputs { result.append(hmac(key: tempKey, result[n - 2], [UInt8(n)])) }
        return result
    }

    // MARK: ChaCha20-Poly1305 for the handshake (Noise nonce layout)

    /// Noise ENCRYPT: ChaCha20-Poly1305 IETF with nonce = 4 zero bytes || little-endian 64-bit `nonce`.
    static func seal(key: Key32, nonce: UInt64, associatedData: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var n = NoiseNonce(nonce)
        withUnsafeBytes(of: key) { k in
            withUnsafeBytes(of: &n) { nb in
                _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                    &out, nil, plaintext, UInt64(plaintext.count), associatedData, UInt64(associatedData.count), nil,
                    nb.bindMemory(to: UInt8.self).baseAddress!, k.bindMemory(to: UInt8.self).baseAddress!)
            }
        }
        return out
    }

    /// Noise DECRYPT; nil when the tag does not verify.
    static func open(key: Key32, nonce: UInt64, associatedData: [UInt8], ciphertext: [UInt8]) -> [UInt8]? {
        guard ciphertext.count >= tagLength else { return nil }
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagLength)
        var n = NoiseNonce(nonce)
        let status = withUnsafeBytes(of: key) { k in
            withUnsafeBytes(of: &n) { nb in
                crypto_aead_chacha20poly1305_ietf_decrypt(
                    &out, nil, nil, ciphertext, UInt64(ciphertext.count), associatedData,
                    UInt64(associatedData.count), nb.bindMemory(to: UInt8.self).baseAddress!,
                    k.bindMemory(to: UInt8.self).baseAddress!)
            }
        }
        return status == 0 ? out : nil
    }

    /// The 12-byte Noise nonce: 32 zero bits, then the counter little-endian.
    private struct NoiseNonce {
        var zero: UInt32 = 0
        var low: UInt32
        var high: UInt32
        init(_ n: UInt64) {
            low = UInt32(truncatingIfNeeded: n).littleEndian
            high = UInt32(truncatingIfNeeded: n >> 32).littleEndian
        }
    }

    // MARK: ChaCha20-Poly1305 for transport messages (in place)

    /// The 12-byte transport nonce (wire format 3): four zero bytes, then the 64-bit counter, little-endian. Every
    /// packet is sealed once, whatever the number of its copies, under its own counter, so no two seals under one
    /// key share a nonce.
    struct TransportNonce {
        var zero: UInt32 = 0
        var low: UInt32
        var high: UInt32
        @inline(__always)
        init(counter: UInt64) {
            low = UInt32(truncatingIfNeeded: counter).littleEndian
            high = UInt32(truncatingIfNeeded: counter >> 32).littleEndian
        }
    }

    /// The body's associated data: transport header bytes 0..15 with the per-copy path id (bytes 2..3) as zero.
    struct TransportAssociatedData {
        var first: UInt64
        var second: UInt64
        @inline(__always)
        init(header: UnsafeRawPointer) {
            first = (UInt64(littleEndian: header.loadUnaligned(as: UInt64.self)) & 0xffff_ffff_0000_ffff).littleEndian
            second = header.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        }
    }

    /// A session's copy-tag key: 16 bytes derived from one direction's transport key (PROTOCOL.md section 9).
    struct CopyKey {
        var first: UInt64 = 0
        var second: UInt64 = 0
    }

    static let copyKeyLabel = Array("mlink copy tag".utf8)

    /// The copy-tag key of a transport key: keyed BLAKE2b-128 (key: the transport key) of "mlink copy tag".
    static func copyKey(for transportKey: Key32) -> CopyKey {
        var key = CopyKey()
        withUnsafeMutableBytes(of: &key) { out in
            copyKeyLabel.withUnsafeBytes { label in
                keyedHash16(key: transportKey, data: label.baseAddress!, length: label.count,
                            into: out.bindMemory(to: UInt8.self).baseAddress!)
            }
        }
        return key
    }

    /// The 8-byte copy tag of a transport message: SipHash-2-4 (key: the copy key) of header bytes 0..19 followed
    /// by the 16-byte AEAD tag, as the 8 bytes SipHash outputs (returned so that storing it natively writes them).
    /// Computed here over the two places the bytes lie, without gathering them (libsodium's generic SipHash took a
    /// 36-byte copy and ~270 instructions per call; `copyTagReference` is that call, for the tests).
    @inline(__always)
    static func copyTag(key: CopyKey, header: UnsafeRawPointer, tag: UnsafeRawPointer) -> UInt64 {
        let k0 = UInt64(littleEndian: key.first), k1 = UInt64(littleEndian: key.second)
        var s = SipState(v0: k0 ^ 0x736f_6d65_7073_6575, v1: k1 ^ 0x646f_7261_6e64_6f6d,
                         v2: k0 ^ 0x6c79_6765_6e65_7261, v3: k1 ^ 0x7465_6462_7974_6573)
        @inline(__always) func u64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
            UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        @inline(__always) func u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }
        s.compress(u64(header, 0))
        s.compress(u64(header, 8))
        s.compress(u32(header, 16) | u32(tag, 0) << 32)
        s.compress(u64(tag, 4))
        s.compress(u32(tag, 12) | 36 << 56)  // the last 4 bytes and the length
        s.v2 ^= 0xff
        s.round(); s.round(); s.round(); s.round()
        return (s.v0 ^ s.v1 ^ s.v2 ^ s.v3).littleEndian
    }

    /// SipHash's four words.
    struct SipState {
        var v0, v1, v2, v3: UInt64

        @inline(__always)
        mutating func compress(_ m: UInt64) {
            v3 ^= m
            round(); round()
            v0 ^= m
        }

        @inline(__always)
        mutating func round() {
            v0 &+= v1; v1 = v1 << 13 | v1 >> 51; v1 ^= v0; v0 = v0 << 32 | v0 >> 32
            v2 &+= v3; v3 = v3 << 16 | v3 >> 48; v3 ^= v2
            v0 &+= v3; v3 = v3 << 21 | v3 >> 43; v3 ^= v0
            v2 &+= v1; v1 = v1 << 17 | v1 >> 47; v1 ^= v2; v2 = v2 << 32 | v2 >> 32
        }
    }

    /// `copyTag` through libsodium's SipHash-2-4 over the gathered 36 bytes: the reference the tests compare with.
    static func copyTagReference(key: CopyKey, header: UnsafeRawPointer, tag: UnsafeRawPointer) -> UInt64 {
        var k = key
        return withUnsafeTemporaryAllocation(byteCount: 48, alignment: 16) { scratch -> UInt64 in
            let input = scratch.baseAddress!
            input.copyMemory(from: header, byteCount: 20)
            (input + 20).copyMemory(from: tag, byteCount: 16)
            let out = input + 40
            withUnsafeBytes(of: &k) { kb in
                _ = crypto_shorthash_siphash24(out.assumingMemoryBound(to: UInt8.self),
                                               input.assumingMemoryBound(to: UInt8.self), 36,
                                               kb.bindMemory(to: UInt8.self).baseAddress!)
            }
            return out.loadUnaligned(as: UInt64.self)
        }
    }

    /// Encrypts `length` bytes at `payload` in place and writes the tag at `tag`; the associated data is `ad`.
    @inline(__always)
    static func sealTransport(key: Key32, nonce: TransportNonce, associatedData ad: TransportAssociatedData,
                              payload: UnsafeMutableRawPointer, length: Int, tag: UnsafeMutableRawPointer) {
        var n = nonce, a = ad
        withUnsafeBytes(of: key) { k in
            withUnsafeBytes(of: &n) { nb in
                withUnsafeBytes(of: &a) { ab in
                    let p = payload.assumingMemoryBound(to: UInt8.self)
                    _ = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
                        p, tag.assumingMemoryBound(to: UInt8.self), nil, p, UInt64(length),
                        ab.bindMemory(to: UInt8.self).baseAddress!, 16, nil,
                        nb.bindMemory(to: UInt8.self).baseAddress!, k.bindMemory(to: UInt8.self).baseAddress!)
                }
            }
        }
    }

    /// Verifies the tag and decrypts `length` bytes at `payload` in place; false (and the payload unchanged in
    /// meaning: libsodium writes nothing) when the tag does not verify.
    @inline(__always)
    static func openTransport(key: Key32, nonce: TransportNonce, associatedData ad: TransportAssociatedData,
                              payload: UnsafeMutableRawPointer, length: Int, tag: UnsafeRawPointer) -> Bool {
        var n = nonce, a = ad
        return withUnsafeBytes(of: key) { k in
            withUnsafeBytes(of: &n) { nb in
                withUnsafeBytes(of: &a) { ab in
                    let p = payload.assumingMemoryBound(to: UInt8.self)
                    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                        p, nil, p, UInt64(length), tag.assumingMemoryBound(to: UInt8.self),
                        ab.bindMemory(to: UInt8.self).baseAddress!, 16,
                        nb.bindMemory(to: UInt8.self).baseAddress!, k.bindMemory(to: UInt8.self).baseAddress!) == 0
                }
            }
        }
    }

    /// True when the 16 bytes at `mac` are the keyed BLAKE2b-128 of `length` bytes at `data`, compared in constant
    /// time. One-shot and on the stack: this runs on every datagram that looks like an initiation, forged or not.
    static func verifyKeyedHash(key: Key32, data: UnsafeRawPointer, length: Int, mac: UnsafeRawPointer) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 16, alignment: 16) { scratch -> Bool in
            let out = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            keyedHash16(key: key, data: data, length: length, into: out)
            return crypto_verify_16(out, mac.assumingMemoryBound(to: UInt8.self)) == 0
        }
    }

    /// Keyed BLAKE2b-128 of `length` bytes at `data`, written to the 16 bytes at `out` (one-shot, no state).
    static func keyedHash16(key: Key32, data: UnsafeRawPointer, length: Int, into out: UnsafeMutablePointer<UInt8>) {
        withUnsafeBytes(of: key) { k in
            _ = crypto_generichash_blake2b(out, 16, data.assumingMemoryBound(to: UInt8.self), UInt64(length),
                                           k.bindMemory(to: UInt8.self).baseAddress!, 32)
        }
    }

    // MARK: Comparison

    /// Compares `count` bytes in time independent of their contents.
    static func constantTimeEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
        sodium_memcmp(a, b, count) == 0
    }
}
