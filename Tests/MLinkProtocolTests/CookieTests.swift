import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// The cookie exchange between engines on the in-memory seed network, with the fake clock.
final class CookieTests: XCTestCase {
    private let routerPublic = TunnelEngine.publicKey(for: Seed.routerKey)
    private var rng = SplitMix64(seed: 17)

    /// A valid-mac1 initiation with a random Noise message (what a flood sends).
    private func floodInitiation() -> [UInt8] {
        TunnelEngine.initiationShapedDatagram(routerPublicKey: routerPublic,
                                              noise: (0..<112).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// Sends `count` flood initiations from as many spoofed addresses (198.51.100.0/22, on no wire: their
    /// answers go nowhere) to the router's slot 0 and delivers them.
    private func flood(_ net: FakeNetwork, count: Int) {
        for n in 0..<count {
            net.inject(floodInitiation(), to: Seed.router, slot: 0,
                       from: SocketAddress(address: IPAddress(ipv4: 0xC633_6400 + UInt32(n)), port: 40000))
        }
        net.advance(by: Time.millisecond)
    }

    private func restartVM0(_ net: FakeNetwork) {
        net.nodes[Seed.vm0].engine = Seed.hostEngine(
            key: Seed.vm0Key, address: Seed.vm0Address, links: net.nodes[Seed.vm0].addresses,
            routerEndpoints: [Seed.routerSlots[0]!, Seed.routerSlots[1]!], indexBase: 0x5000_0000)
    }

    /// Under a flood the router spends no Diffie-Hellman on initiations without mac2; a host that restarts gets a
    /// cookie reply on each link, retries at once with mac2 and has its session one round trip later.
    func testUnderLoadARestartedHostGetsACookieRetriesAtOnceAndGetsItsSession() {
        let net = Seed.establishedNetwork()
        for lan: UInt8 in 0...1 { net.wire(lan).latency = 5 * Time.millisecond }
        let unauthenticatedBefore = net.router.globalDrops.unauthenticated
        flood(net, count: 300)
        let replies = net.router.globalDrops.cookieReplies
        XCTAssertGreaterThanOrEqual(replies, 300 - UInt64(CookieChecker.loadRate), "past 100 the flood gets cookies")
        XCTAssertLessThanOrEqual(net.router.globalDrops.unauthenticated - unauthenticatedBefore,
                                 UInt64(CookieChecker.loadRate), "at most the first 100 cost a Diffie-Hellman")
        restartVM0(net)
        let start = net.now
        var cookieAt: UInt64?
        var retryMAC2: [UInt8]?
        while net.routerPeer(of: Seed.vm0).session == nil, net.now - start < Time.second {
            flood(net, count: 20)  // the load goes on
            if cookieAt == nil, net.routerPeer(of: Seed.vm0).counters.cookies > 0 { cookieAt = net.now }
            if retryMAC2 == nil, let at = cookieAt,
               let retry = net.sent.last(where: { $0.fromNode == Seed.vm0 && $0.bytes.first == 1 && $0.slot == 0 }),
               net.now > at {
                retryMAC2 = Array(retry.bytes[132..<148])
            }
        }
        XCTAssertNotNil(net.routerPeer(of: Seed.vm0).session, "a session within a second under the flood")
        let took = net.now - start
        XCTAssertLessThan(took, 100 * Time.millisecond, "one extra round trip, not a rekey timeout (took \(took / Time.millisecond) ms)")
        XCTAssertGreaterThanOrEqual(net.routerPeer(of: Seed.vm0).counters.cookies, 1)
        XCTAssertNotEqual(retryMAC2, [UInt8](repeating: 0, count: 16), "the retry carries mac2")
        let cookie = try! XCTUnwrap(net.connection(of: Seed.vm0, pathID: 0x0000)?.cookie)
        let expected = CookieMessages.cookie(secret: Key32.zero, source: Seed.routerSlots[0]!)
        XCTAssertNotEqual(cookie, expected, "sanity: a cookie under the router's random secret")
        net.stream(from: Seed.vm0, source: Seed.vm0Address, destination: Seed.vm2Address, sequences: 0..<10)
        net.advance(by: 50 * Time.millisecond)
        XCTAssertEqual(net.nodes[Seed.vm2].deliveredSequences, Array(0..<10), "its traffic flows")
    }

    /// mac2 is checked against the cookie of the datagram's own source: a cookie learnt at one address is worth
    /// nothing from another, and nothing is answered at all while the router is not under load.
    func testMAC2IsCheckedAgainstTheSourceAndOnlyUnderLoad() {
        let router = Seed.routerEngine()
        let me = Fixture.socket("192.0.2.7:5000"), victim = Fixture.socket("192.0.2.8:5000")
        func send(_ initiation: [UInt8], from source: SocketAddress, at now: UInt64) -> TunnelEngine.Verdict {
            var bytes = initiation
            return bytes.withUnsafeMutableBytes { router.receive($0.baseAddress!, length: $0.count, slot: 0, source: source, now: now) }
        }
        let now = 10 * Time.second
        // Not under load: no cookie reply, whatever mac2 says (the random body fails Noise: unauthenticated).
        XCTAssertEqual(send(floodInitiation(), from: me, at: now), .none)
        XCTAssertEqual(router.globalDrops.cookieReplies, 0)
        for _ in 0..<Int(CookieChecker.loadRate) { _ = send(floodInitiation(), from: victim, at: now) }
        // Under load now: a cookie reply of 60 bytes, smaller than its cause.
        var initiation = floodInitiation()
        guard case .reply(let length) = send(initiation, from: me, at: now) else { return XCTFail("no cookie reply") }
        XCTAssertEqual(length, CookieMessages.replySize)
        XCTAssertLessThan(length, initiation.count)
        let reply = Array(UnsafeRawBufferPointer(start: router.replyBuffer, count: length))
        XCTAssertEqual(reply[0], 3)
        let key = CookieMessages.cookieKey(responder: routerPublic)
        let cookie = try! XCTUnwrap(reply.withUnsafeBytes { r in
            initiation.withUnsafeBytes { CookieMessages.openReply(r.baseAddress!, key: key, initiation: $0.baseAddress!, now: now) }
        })
        initiation.withUnsafeMutableBytes { CookieMessages.writeMAC2($0.baseAddress!, cookie: cookie) }
        let replies = router.globalDrops.cookieReplies
        let unauthenticated = router.globalDrops.unauthenticated
        XCTAssertEqual(send(initiation, from: victim, at: now), .reply(length: 60), "my cookie is no good from another address")
        XCTAssertEqual(send(initiation, from: Fixture.socket("192.0.2.7:5001"), at: now), .reply(length: 60), "nor another port")
        XCTAssertEqual(router.globalDrops.cookieReplies, replies + 2)
        XCTAssertEqual(send(initiation, from: me, at: now), .none, "valid mac2: on to the rate limit and Noise")
        XCTAssertEqual(router.globalDrops.cookieReplies, replies + 2)
        XCTAssertEqual(router.globalDrops.unauthenticated, unauthenticated + 1, "it reached Noise (random body)")
    }

    /// Cookies expire after 120 s on both sides: the router's secret is replaced, so a cookie older than that no
    /// longer makes mac2 valid, and a host stops using one that old (mac2 zero).
    func testCookiesExpireAfter120Seconds() {
        let router = Seed.routerEngine()
        let me = Fixture.socket("192.0.2.7:5000")
        func send(_ initiation: [UInt8], at now: UInt64) -> TunnelEngine.Verdict {
            var bytes = initiation
            return bytes.withUnsafeMutableBytes { router.receive($0.baseAddress!, length: $0.count, slot: 0, source: me, now: now) }
        }
        func load(at now: UInt64) { for _ in 0...Int(CookieChecker.loadRate) { _ = send(floodInitiation(), at: now) } }
        let start = 10 * Time.second
        load(at: start)
        var initiation = floodInitiation()
        _ = send(initiation, at: start)
        let key = CookieMessages.cookieKey(responder: routerPublic)
        let reply = Array(UnsafeRawBufferPointer(start: router.replyBuffer, count: 60))
        let cookie = try! XCTUnwrap(reply.withUnsafeBytes { r in
            initiation.withUnsafeBytes { CookieMessages.openReply(r.baseAddress!, key: key, initiation: $0.baseAddress!, now: start) }
        })
        initiation.withUnsafeMutableBytes { CookieMessages.writeMAC2($0.baseAddress!, cookie: cookie) }
        let late = start + 119 * Time.second
        load(at: late)
        XCTAssertEqual(send(initiation, at: late), .none, "valid at 119 s")
        let expired = start + 121 * Time.second
        load(at: expired)
        XCTAssertEqual(send(initiation, at: expired), .reply(length: 60), "the secret changed after 120 s")

        // The host side: mac2 under a cookie younger than 120 s, zeros after.
        let host = Seed.hostEngine(key: Seed.vm0Key, address: Seed.vm0Address, links: [0: Fixture.socket("192.168.0.2:40000")],
                                   routerEndpoints: [Seed.routerSlots[0]!], indexBase: 0x6000_0000)
        var connection = host.peers[0].connections[0]
        connection.cookie = cookie
        var out = initiation
        out.withUnsafeMutableBytes { host.stampCookie($0.baseAddress!, connection: connection, now: start + 119 * Time.second) }
        XCTAssertEqual(Array(out[132..<148]), Array(initiation[132..<148]))
        out.withUnsafeMutableBytes { host.stampCookie($0.baseAddress!, connection: connection, now: start + 120 * Time.second) }
        XCTAssertEqual(Array(out[132..<148]), [UInt8](repeating: 0, count: 16))
    }

    /// A cookie reply is accepted only for the pending initiation; a router drops one as malformed.
    func testForgedOrMisdirectedCookieRepliesAreDroppedAndCounted() {
        let net = Seed.network()
        for lan: UInt8 in 0...1 { net.wire(lan).latency = 20 * Time.millisecond }
        net.advance(by: 10 * Time.millisecond)  // vm0 has a pending initiation, not yet answered
        XCTAssertNotNil(net.routerPeer(of: Seed.vm0).pending)
        var forged = [UInt8](repeating: 0, count: 60)
        forged[0] = 3
        net.inject(forged, to: Seed.vm0, slot: 0, from: Seed.routerSlots[0]!)
        net.inject(forged, to: Seed.router, slot: 0, from: Fixture.socket("192.168.0.2:40000"))
        net.advance(by: Time.millisecond)
        XCTAssertEqual(net.vm0.globalDrops.unauthenticated, 1)
        XCTAssertEqual(net.router.globalDrops.malformed, 1)
        XCTAssertEqual(net.routerPeer(of: Seed.vm0).counters.cookies, 0)
    }
}
