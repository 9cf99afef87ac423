import MLinkTypes

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
