import MLinkTypes

/// A 16-byte handshake cookie (docs/PROTOCOL.md section 5.2): a MAC of the host's source address and port under
/// the router's rotating secret. The router never stores one; a host keeps the last one per connection.
struct Cookie: Equatable {
    var first: UInt64 = 0
    var second: UInt64 = 0
    /// When the host received it (monotonic ns); it is used for `CookieMessages.lifetime` after that.
    var received: UInt64 = 0

    init() {}

    /// The cookie in the 16 bytes at `p`.
    init(reading p: UnsafeRawPointer, received: UInt64) {
        first = p.loadUnaligned(as: UInt64.self)
        second = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        self.received = received
    }

    /// Runs `body` with the cookie's 16 bytes.
    func withBytes<R>(_ body: (UnsafeRawPointer) -> R) -> R {
        var pair = (first, second)
        return withUnsafeBytes(of: &pair) { body($0.baseAddress!) }
    }
}

/// The cookie exchange's arithmetic and framing (docs/PROTOCOL.md section 5.2): cookies, mac2, the cookie reply.
///
///     cookie reply (type 3), 60 bytes, router -> host
///       0 type | 1 zero | 2-3 path id | 4-27 nonce | 28-43 encrypted cookie | 44-59 tag
///
/// Nothing here allocates: under a flood the router computes a cookie and seals a reply per initiation.
enum CookieMessages {
    static let replySize = 60
    /// How long a host uses a cookie, and how long a router keeps one secret (ns).
    static let lifetime: UInt64 = 120_000_000_000
    static let nonceRange = 4..<28
    static let sealedRange = 28..<60
    static let mac2Range = 132..<148
    /// The bytes mac2 covers: the initiation from byte 4 to the end of mac1.
    static let mac2Covered = 4..<132

    /// The key cookie replies are sealed under: BLAKE2b-256("mlink cookie" || router static public key).
    static func cookieKey(responder: Key32) -> Key32 {
        Key32(bytes: Crypto.hash(Array("mlink cookie".utf8), responder.bytes, length: 32))!
    }

    /// The cookie of `source` under `secret`: keyed BLAKE2b-128 of its address (4 or 16 bytes, network order) and
    /// its port (2 bytes, big-endian).
    static func cookie(secret: Key32, source: SocketAddress) -> Cookie {
        withUnsafeTemporaryAllocation(byteCount: 48, alignment: 16) { scratch -> Cookie in
            let p = scratch.baseAddress!
            var length = 0
            if source.address.isIPv6 {
                p.storeBytes(of: source.address.high.bigEndian, toByteOffset: 0, as: UInt64.self)
                p.storeBytes(of: source.address.low.bigEndian, toByteOffset: 8, as: UInt64.self)
                length = 16
            } else {
                p.storeBytes(of: source.address.ipv4Value.bigEndian, toByteOffset: 0, as: UInt32.self)
                length = 4
            }
            p.storeBytes(of: source.port.bigEndian, toByteOffset: length, as: UInt16.self)
            Crypto.keyedHash16(key: secret, data: p, length: length + 2, into: (p + 32).assumingMemoryBound(to: UInt8.self))
            return Cookie(reading: p + 32, received: 0)
        }
    }

    /// Writes mac2 of the initiation at `initiation` (148 bytes) under `cookie` into its bytes 132..147.
    static func writeMAC2(_ initiation: UnsafeMutableRawPointer, cookie: Cookie) {
        cookie.withBytes { key in
            Crypto.keyedHash16(key16: key, data: initiation + mac2Covered.lowerBound, length: mac2Covered.count,
                               into: initiation + mac2Range.lowerBound)
        }
    }

    /// True when the initiation's mac2 is the one under `cookie` (constant time).
    static func hasValidMAC2(_ initiation: UnsafeRawPointer, cookie: Cookie) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 16, alignment: 16) { scratch -> Bool in
            cookie.withBytes { key in
                Crypto.keyedHash16(key16: key, data: initiation + mac2Covered.lowerBound, length: mac2Covered.count,
                                   into: scratch.baseAddress!)
            }
            return Crypto.equal16(scratch.baseAddress!, initiation + mac2Range.lowerBound)
        }
    }

    /// Writes a cookie reply to the initiation at `initiation` into `out` (60 bytes): `cookie` sealed under
    /// `key` with the 24-byte `nonce` and the initiation's mac1 as associated data.
    static func writeReply(into out: UnsafeMutableRawPointer, pathID: UInt16, cookie: Cookie, key: Key32,
                           nonce: UnsafeRawPointer, initiation: UnsafeRawPointer) {
        out.storeBytes(of: WireFormat.MessageType.cookieReply.rawValue, as: UInt8.self)
        out.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
        LE.put(out, 2, pathID)
        (out + nonceRange.lowerBound).copyMemory(from: nonce, byteCount: nonceRange.count)
        cookie.withBytes { plaintext in
            Crypto.sealCookie(key: key, nonce: nonce, associatedData: initiation + HandshakeMessages.mac1Range.lowerBound,
                              adLength: HandshakeMessages.mac1Length, plaintext: plaintext, into: out + sealedRange.lowerBound)
        }
    }

    /// The cookie in a 60-byte reply to the initiation `initiation` (our pending one), or nil when it does not
    /// open under `key` with that initiation's mac1.
    static func openReply(_ reply: UnsafeRawPointer, key: Key32, initiation: UnsafeRawPointer, now: UInt64) -> Cookie? {
        withUnsafeTemporaryAllocation(byteCount: 16, alignment: 16) { scratch -> Cookie? in
            guard Crypto.openCookie(key: key, nonce: reply + nonceRange.lowerBound,
                                    associatedData: initiation + HandshakeMessages.mac1Range.lowerBound,
                                    adLength: HandshakeMessages.mac1Length, ciphertext: reply + sealedRange.lowerBound,
                                    into: scratch.baseAddress!) else { return nil }
            return Cookie(reading: scratch.baseAddress!, received: now)
        }
    }
}

extension TunnelEngine {
    /// A datagram shaped like an initiation to the router with public key `routerPublicKey`: `noise` (112 bytes)
    /// as its Noise message, a valid mac1 and mac2 zero. It is what anyone who knows the router's public key can
    /// make without any private key, so it costs the router a Diffie-Hellman unless the rate limit or a cookie
    /// stops it (load tests: `mlink-lab flood`, tests/integration/86-cookie-flood.sh).
    public static func initiationShapedDatagram(routerPublicKey: Key32, noise: [UInt8], pathID: UInt16 = 0) -> [UInt8] {
        precondition(noise.count == HandshakeMessages.initiationNoise.count)
        var message = [UInt8](repeating: 0, count: 4) + noise
        message[0] = WireFormat.MessageType.initiation.rawValue
        message.withUnsafeMutableBytes { LE.put($0.baseAddress!, 2, pathID) }
        let key = HandshakeMessages.mac1Key(responder: routerPublicKey)
        message += message.withUnsafeBytes { HandshakeMessages.mac1(key: key, initiation: $0.baseAddress!) }
        return message + [UInt8](repeating: 0, count: CookieMessages.mac2Range.count)
    }
}
