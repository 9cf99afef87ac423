import MLinkProtocol
import MLinkTestSupport
import MLinkTypes
import XCTest

/// CLOSE (control kind 9, PROTOCOL.md section 14): an orderly stop ends the peer's sessions at once, so its bundle
/// is down without waiting for its paths to fall silent; a replayed or malformed CLOSE changes nothing.
final class CloseTests: XCTestCase {
    func testTheDocumentedExample() {
        var bytes = [UInt8](repeating: 0xff, count: 8)
        bytes.withUnsafeMutableBytes { ControlHeader(kind: ControlKind.close, flags: 0, bodyLength: 0, seq: 12).write(to: $0.baseAddress!) }
        XCTAssertEqual(bytes, [0x09, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00])
    }

    func testAHostsCloseTakesItsBundleDownAtTheRouterAtOnce() {
        let pair = EnginePair(links: 2)
        var events: [TunnelEngine.Event] = []
        pair.router.drainEvents { _ in }
        XCTAssertTrue(pair.router.peers[0].bundleIsUp)
        pair.host.close(now: pair.now, into: pair.out)
        XCTAssertEqual(pair.out.count, 2, "one copy per link, like data")
        let sent = (0..<pair.out.count).map { [UInt8](UnsafeRawBufferPointer(start: pair.out.bytes(at: $0), count: pair.out.length(at: $0))) }
        XCTAssertEqual(sent[0].count, 52, "28-byte header, 8-byte payload, 16-byte tag")
        pair.deliverFromHost()
        pair.router.drainEvents { events.append($0) }
        XCTAssertEqual(events, [.bundleDown(peer: 0)])
        XCTAssertFalse(pair.router.peers[0].bundleIsUp)
        XCTAssertNil(pair.router.peers[0].session)
        XCTAssertTrue(pair.router.peers[0].connections.isEmpty)
        XCTAssertEqual(pair.router.peers[0].counters.closesReceived, 1, "the second copy was a duplicate")
        // A replay of the CLOSE (or of anything under the ended session) reaches no session.
        let unknownBefore = pair.router.globalDrops.unknownSession
        sent[0].withUnsafeBytes { pair.receiveBuffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        XCTAssertEqual(pair.router.receive(pair.receiveBuffer, length: sent[0].count, slot: 0,
                                           source: EnginePair.hostAddress(link: 0), now: pair.now), .none)
        XCTAssertEqual(pair.router.globalDrops.unknownSession, unknownBefore + 1)
        XCTAssertEqual(pair.router.peers[0].counters.closesReceived, 1)
    }

    func testARoutersCloseTakesTheHostsBundleDownAndTheHostHandshakesAgain() {
        let pair = EnginePair(links: 2)
        pair.host.drainEvents { _ in }
        let connections = pair.host.peers[0].connections.count
        pair.router.close(now: pair.now, into: pair.out)
        pair.deliverFromRouter()
        var events: [TunnelEngine.Event] = []
        pair.host.drainEvents { events.append($0) }
        XCTAssertEqual(events, [.bundleDown(peer: 0)])
        XCTAssertNil(pair.host.peers[0].session)
        XCTAssertEqual(pair.host.peers[0].connections.count, connections, "the host's connections come from its profile")
        XCTAssertTrue(pair.host.peers[0].connections.allSatisfy { $0.state == .down })
        // The router restarts (here: it simply answers again): the host's handshake timer brings the bundle back.
        for _ in 0..<10 { pair.exchange() }
        XCTAssertNotNil(pair.host.peers[0].session)
        pair.host.drainEvents { events.append($0) }
        XCTAssertTrue(events.contains(.sessionEstablished(peer: 0)))
        XCTAssertTrue(events.contains(.bundleUp(peer: 0)))
    }

    func testAMalformedCloseChangesNothing() throws {
        let pair = EnginePair(links: 1)
        try pair.host.sendControl(to: 0, kind: ControlKind.close, body: [1], reliability: .unreliable)
        pair.host.flushControl(now: pair.now, into: pair.out)
        pair.deliverFromHost()
        XCTAssertNotNil(pair.router.peers[0].session)
        XCTAssertTrue(pair.router.peers[0].bundleIsUp)
        XCTAssertEqual(pair.router.peers[0].counters.controlMalformed, 1)
        XCTAssertEqual(pair.router.peers[0].counters.closesReceived, 0)
    }
}
