import MLinkTypes

/// The framing of the two handshake messages around the Noise messages (docs/PROTOCOL.md section 5).
///
///     initiation (type 1), 132 bytes, host -> router
///       0 type | 1 zero | 2-3 path id | 4-35 ephemeral | 36-83 encrypted static (32 + tag)
///       84-115 encrypted payload: sender index (4) + timestamp (12) + tag | 116-131 mac1
///     response (type 2), 60 bytes, router -> host
///       0 type | 1 zero | 2-3 path id | 4-7 receiver index | 8-39 ephemeral
///       40-59 encrypted payload: sender index (4) + tag
///
/// The path id (bytes 2-3) is outside every MAC: one initiation is sent unchanged on every connection but for
/// its path id, and the router answers repeats from a cache.
enum HandshakeMessages {
    static let prologue = Array("mlink wire format 2".utf8)
    /// Where the Noise message starts and ends inside an initiation.
    static let initiationNoise = 4..<116
    /// The bytes mac1 covers, and the bytes that identify one initiation for the response cache.
    static let mac1Covered = 4..<116
    static let mac1Range = 116..<132
    static let initiationIdentity = 4..<132
    static let responseNoise = 8..<60
    static let mac1Length = 16

    /// mac1's key: BLAKE2b-256("mlink mac1" || responder static public key). Anyone who knows the router's public
    /// key can compute it: mac1 does not authenticate, it lets the router drop random bytes before any DH.
    static func mac1Key(responder: Key32) -> Key32 {
        Key32(bytes: Crypto.hash(Array("mlink mac1".utf8), responder.bytes, length: 32))!
    }

    /// mac1 of an initiation (keyed BLAKE2b-128 over bytes 4..<116).
    static func mac1(key: Key32, initiation: UnsafeRawPointer) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: mac1Length)
        Crypto.keyedHash16(key: key, data: initiation + mac1Covered.lowerBound, length: mac1Covered.count, into: &mac)
        return mac
    }

    /// True when an initiation's mac1 is right; allocation-free.
    static func hasValidMAC1(_ initiation: UnsafeRawPointer, key: Key32) -> Bool {
        Crypto.verifyKeyedHash(key: key, data: initiation + mac1Covered.lowerBound, length: mac1Covered.count,
                               mac: initiation + mac1Range.lowerBound)
    }

    /// The 16-byte Noise payload of an initiation: the sender's index and the timestamp.
    static func initiationPayload(senderIndex: UInt32, timestamp: InitiationTimestamp) -> [UInt8] {
        var payload = [UInt8](repeating: 0, count: 16)
        payload.withUnsafeMutableBytes { raw in
            LE.put(raw.baseAddress!, 0, senderIndex)
            timestamp.write(to: raw.baseAddress! + 4)
        }
        return payload
    }
}

/// The initiator's clock in an initiation: seconds and nanoseconds since the Unix epoch, big-endian (TAI64N's
/// layout without its offset). The router accepts an initiation only when its timestamp is newer than the last
/// one it accepted from that peer, so a recorded initiation cannot be replayed, also not after the host restarts.
struct InitiationTimestamp: Comparable {
    var seconds: UInt64
    var nanoseconds: UInt32

    static let zero = InitiationTimestamp(seconds: 0, nanoseconds: 0)

    init(seconds: UInt64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    init(wallClockNanoseconds ns: UInt64) {
        self.init(seconds: ns / 1_000_000_000, nanoseconds: UInt32(ns % 1_000_000_000))
    }

    init(reading p: UnsafeRawPointer) {
        seconds = UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))
        nanoseconds = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    }

    func write(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: seconds.bigEndian, as: UInt64.self)
        p.storeBytes(of: nanoseconds.bigEndian, toByteOffset: 8, as: UInt32.self)
    }

    static func < (a: InitiationTimestamp, b: InitiationTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}

/// A host's handshake in flight.
struct PendingHandshake {
    var noise: NoiseHandshake
    /// The index we offered (the router writes it as receiver index).
    var localIndex: UInt32
    /// The complete initiation; its path id is rewritten for each connection it is sent on.
    var message: [UInt8]
    /// When it was made (monotonic ns).
    var started: UInt64
}

/// Per-source-address token buckets for initiations that need Diffie-Hellman work, plus one global bucket.
///
/// A fixed table (no allocation after init): a source hashes to one slot, and sources that collide share its
/// bucket. The global bucket bounds the total; without a cookie exchange (WireGuard's mac2), a flood from many
/// addresses can still crowd out real handshakes while it lasts, but never costs more than the global rate.
struct HandshakeRateLimiter {
    struct Bucket {
        var address = IPAddress(ipv4: 0)
        var tokens: Double = 0
        var updated: UInt64 = 0
    }

    static let slotCount = 1024
    /// Per source: sustained rate and burst.
    var perSourceRate = 10.0, perSourceBurst = 20.0
    /// Everyone together.
    var globalRate = 200.0, globalBurst = 400.0
    private var buckets = [Bucket](repeating: Bucket(), count: slotCount)
    private var global = Bucket()

    init() { global.tokens = globalBurst }

    /// True when an initiation from `address` may be processed now (and takes a token).
    mutating func allow(_ address: IPAddress, now: UInt64) -> Bool {
        let slot = Int(truncatingIfNeeded: (address.high ^ address.low &* 0x9E37_79B9_7F4A_7C15) >> 40) % Self.slotCount
        if buckets[slot].updated == 0 {
            buckets[slot] = Bucket(address: address, tokens: perSourceBurst, updated: now)
        }
        // Another address taking the slot inherits its tokens: cycling colliding addresses earns nothing.
        buckets[slot].address = address
        refill(&global, now: now, rate: globalRate, burst: globalBurst)
        refill(&buckets[slot], now: now, rate: perSourceRate, burst: perSourceBurst)
        guard buckets[slot].tokens >= 1, global.tokens >= 1 else { return false }
        buckets[slot].tokens -= 1
        global.tokens -= 1
        return true
    }

    private func refill(_ bucket: inout Bucket, now: UInt64, rate: Double, burst: Double) {
        if now > bucket.updated {
            bucket.tokens = min(burst, bucket.tokens + Double(now - bucket.updated) * rate / 1e9)
        }
        bucket.updated = max(bucket.updated, now)
    }
}
