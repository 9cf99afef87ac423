import MLinkTypes

/// The framing of the two handshake messages around the Noise messages (docs/PROTOCOL.md section 5).
///
///     initiation (type 1), 148 bytes, host -> router
///       0 type | 1 zero | 2-3 path id | 4-35 ephemeral | 36-83 encrypted static (32 + tag)
///       84-115 encrypted payload: sender index (4) + timestamp (12) + tag | 116-131 mac1 | 132-147 mac2 (cookie)
///     response (type 2), 60 bytes, router -> host
///       0 type | 1 zero | 2-3 path id | 4-7 receiver index | 8-39 ephemeral
///       40-59 encrypted payload: sender index (4) + tag
///
/// The path id (bytes 2-3) is outside every MAC: one initiation is sent unchanged on every connection but for
/// its path id, and the router answers repeats from a cache.
enum HandshakeMessages {
    static let prologue = Array("mlink wire format 4".utf8)
    /// Where the Noise message starts and ends inside an initiation.
    static let initiationNoise = 4..<116
    /// The bytes mac1 covers, and the bytes that identify one initiation for the response cache (mac2 is not
    /// part of it: the same initiation resent with a cookie is a repeat).
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
