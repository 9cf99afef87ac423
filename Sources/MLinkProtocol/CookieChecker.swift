import MLinkTypes

/// The router's side of the cookie exchange (docs/PROTOCOL.md section 5.2): whether it is under load, its
/// rotating secret, and the check of mac2. Fixed size; nothing allocates after init.
///
/// Load: a token bucket of `loadRate` initiations per second (burst `loadRate`) takes a token per initiation
/// that passed mac1 and is not a repeat; while it is empty, and for `underLoadFor` after, the router is under
/// load. 100/s is half the global handshake rate limit (200/s), so cookies are asked for before that limit
/// refuses real hosts, and far above real churn (1000 hosts rekeying every 120 s make 8/s).
struct CookieChecker {
    static let loadRate = 100.0
    static let underLoadFor: UInt64 = 1_000_000_000

    /// The key cookie replies are sealed under (from our public key).
    let replyKey: Key32
    private var secret = Key32.zero
    private var secretMade: UInt64 = 0
    private var hasSecret = false
    private var tokens = CookieChecker.loadRate
    private var updated: UInt64 = 0
    private var underLoadUntil: UInt64 = 0

    init(publicKey: Key32) {
        replyKey = CookieMessages.cookieKey(responder: publicKey)
    }

    /// Counts one initiation that would need a Diffie-Hellman; true when the router is under load now.
    mutating func noteInitiation(now: UInt64) -> Bool {
        if now > updated {
            tokens = min(CookieChecker.loadRate, tokens + Double(now - updated) * CookieChecker.loadRate / 1e9)
            updated = now
        }
        if tokens >= 1 {
            tokens -= 1
        } else {
            underLoadUntil = now &+ CookieChecker.underLoadFor
        }
        return now < underLoadUntil
    }

    /// The cookie of `source` now: under the current secret, made anew when older than the cookie lifetime.
    mutating func cookie(for source: SocketAddress, now: UInt64) -> Cookie {
        if !hasSecret || now &- secretMade >= CookieMessages.lifetime {
            secret = Crypto.randomKey()
            secretMade = now
            hasSecret = true
        }
        return CookieMessages.cookie(secret: secret, source: source)
    }

    /// The test vectors' secret (tests only).
    mutating func useSecret(_ key: Key32, madeAt now: UInt64) {
        secret = key
        secretMade = now
        hasSecret = true
    }
}
