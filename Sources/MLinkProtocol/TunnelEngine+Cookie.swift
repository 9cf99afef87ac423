import MLinkControl
import MLinkTypes

/// The cookie exchange (docs/PROTOCOL.md section 5.2). A router under load answers an initiation without a valid
/// mac2 with a 60-byte cookie reply instead of spending a Diffie-Hellman on it; the host keeps the cookie for the
/// connection it came on and sends its initiation there again at the next tick, with mac2 under that cookie.
/// A spoofed-source flood never receives its cookies, so it never gets past this check while the load lasts.
extension TunnelEngine {
    /// Router: nil when the initiation may go on to the rate limit and Diffie-Hellman; otherwise the verdict
    /// (a cookie reply in `replyBuffer`). Allocation-free: under a flood this runs once per initiation.
    func demandCookie(_ message: UnsafeRawPointer, role: RouterRole, slot: Int, source: SocketAddress,
                      now: UInt64) -> Verdict? {
        guard role.cookies.noteInitiation(now: now) else { return nil }
        let cookie = role.cookies.cookie(for: source, now: now)
        if CookieMessages.hasValidMAC2(message, cookie: cookie) { return nil }
        globalDrops.cookieReplies += 1
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 16) { nonce in
            Crypto.randomBytes(nonce.baseAddress!, count: CookieMessages.nonceRange.count)
            CookieMessages.writeReply(into: replyBuffer, pathID: UInt16(truncatingIfNeeded: slot) << 8, cookie: cookie,
                                      key: role.cookies.replyKey, nonce: nonce.baseAddress!, initiation: message)
        }
        return .reply(length: CookieMessages.replySize)
    }

    /// Host: a cookie reply to our pending initiation. The cookie is kept for the connection it arrived on and
    /// that connection's initiation goes out again at the next tick, now with mac2.
    func receiveCookieReply(_ message: UnsafeMutableRawPointer, length: Int, slot: Int, source: SocketAddress,
                            now: UInt64) -> Verdict {
        guard length == CookieMessages.replySize else {
            globalDrops.malformed += 1
            return .none
        }
        // The peer we dial on the connection the reply came from, with an initiation pending.
        guard let index = dialledPeers.first(where: { index in
            peers[index].connections.contains { $0.slot == slot && $0.remote == source }
        }) ?? (isRouter || peers.isEmpty ? nil : 0) else {
            globalDrops.malformed += 1  // a router that dials nobody there sends no initiations, so expects no cookie
            return .none
        }
        let router = peers[index]
        guard let pending = router.pending else {
            globalDrops.unknownSession += 1
            return .none
        }
        let key = CookieMessages.cookieKey(responder: router.publicKey)
        let opened = pending.message.withUnsafeBytes {
            CookieMessages.openReply(message, key: key, initiation: $0.baseAddress!, now: now)
        }
        guard let cookie = opened else {
            globalDrops.unauthenticated += 1
            return .none
        }
        guard let c = router.connections.firstIndex(where: { $0.slot == slot && $0.remote == source }) else {
            globalDrops.unknownSession += 1
            return .none
        }
        router.connections[c].cookie = cookie
        router.connections[c].lastProbe = 0  // the initiation leaves again at the next tick, with mac2
        router.counters.cookies += 1
        return .none
    }

    /// Host: writes mac2 into an initiation about to leave on `connection`: under its cookie while that is younger
    /// than the cookie lifetime, zeros otherwise.
    @inline(__always)
    func stampCookie(_ initiation: UnsafeMutableRawPointer, connection: Connection, now: UInt64) {
        if let cookie = connection.cookie, now &- cookie.received < CookieMessages.lifetime {
            CookieMessages.writeMAC2(initiation, cookie: cookie)
        } else {
            (initiation + CookieMessages.mac2Range.lowerBound).initializeMemory(as: UInt8.self, repeating: 0,
                                                                                count: CookieMessages.mac2Range.count)
        }
    }
}
