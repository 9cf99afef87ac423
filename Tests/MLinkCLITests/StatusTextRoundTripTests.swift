import MLinkControl
import MLinkProtocol
import MLinkTypes
import XCTest
@testable import MLinkCLI
@testable import MLinkDaemon

/// From a real engine's state to the text `mlink show` prints: engine -> `StatusSnapshot` -> JSON (as the core
/// answers on the control socket) -> decoded -> `StatusText`. Renaming a key on one side fails here.
final class StatusTextRoundTripTests: XCTestCase {
    /// A host and a router engine over one in-memory wire, after the handshake and some probe rounds.
    /// Only `tick` and `receive` carry datagrams, as the daemon's timer and receive paths do.
    final class EnginePair {
        static let hostLocal = SocketAddress(address: IPAddress("192.168.0.2")!, port: 40000)
        static let routerLocal = SocketAddress(address: IPAddress("192.168.0.3")!, port: 7000)
        let host: TunnelEngine
        let router: TunnelEngine
        var now: UInt64 = 1_000_000_000
        var wall: UInt64 = 1_795_000_000_000_000_000

        init() {
            let hostKey = Key32(w0: 10, w1: 11, w2: 12, w3: 13), routerKey = Key32(w0: 1, w1: 2, w2: 3, w3: 4)
            var clock = wall
            let wallClock = { clock += 1_000_000; return clock }
            let routerPeer = PeerConfiguration(name: "router", publicKey: TunnelEngine.publicKey(for: routerKey),
                                               allowedIPs: [IPNetwork("10.77.0.0/24")!])
            host = TunnelEngine(configuration: EngineConfiguration(isRouter: false, privateKey: hostKey,
                                                                   virtualAddress: IPAddress("10.77.0.10")!,
                                                                   peers: [routerPeer]),
                                wallClock: wallClock)
            let hostPeer = PeerConfiguration(name: "vm0", publicKey: TunnelEngine.publicKey(for: hostKey),
                                             allowedIPs: [IPNetwork("10.77.0.10/32")!])
            router = TunnelEngine(configuration: EngineConfiguration(isRouter: true, privateKey: routerKey,
                                                                     virtualAddress: IPAddress("10.77.0.1")!,
                                                                     peers: [hostPeer]),
                                  wallClock: wallClock)
            host.linkAdded(slot: 0, name: "wwan0", local: EnginePair.hostLocal)
            router.linkAdded(slot: 0, name: "eth0", local: EnginePair.routerLocal)
            host.setRouterEndpoints([EnginePair.routerLocal])
        }

        /// Runs both engines' timers every 5 ms for `duration` ns; datagrams cross in 2 ms each way.
        func run(for duration: UInt64) {
            var inFlight: [(due: UInt64, toHost: Bool, from: SocketAddress, bytes: [UInt8])] = []
            let end = now + duration
            while now < end {
                now += 1_000_000
                for d in ticked(host) { inFlight.append((now + 2_000_000, false, EnginePair.hostLocal, d)) }
                for d in ticked(router) { inFlight.append((now + 2_000_000, true, EnginePair.routerLocal, d)) }
                while let index = inFlight.firstIndex(where: { $0.due <= now }) {
                    let datagram = inFlight.remove(at: index)
                    let engine = datagram.toHost ? host : router
                    var bytes = datagram.bytes
                    let verdict = bytes.withUnsafeMutableBytes {
                        engine.receive($0.baseAddress!, length: $0.count, slot: 0, source: datagram.from, now: now)
                    }
                    if case .reply(let length) = verdict {
                        let reply = Array(UnsafeRawBufferPointer(start: engine.replyBuffer, count: length))
                        inFlight.append((now + 2_000_000, !datagram.toHost,
                                         datagram.toHost ? EnginePair.hostLocal : EnginePair.routerLocal, reply))
                    }
                }
            }
        }

        private let out = OutboundBatch(capacity: 64, bufferSize: 2048)

        /// What `engine`'s timers send now, as the daemon's timer path would send it.
        private func ticked(_ engine: TunnelEngine) -> [[UInt8]] {
            engine.tick(now: now, into: out)
            let datagrams = (0..<out.count).map { [UInt8](UnsafeRawBufferPointer(start: out.bytes(at: $0), count: out.length(at: $0))) }
            engine.completeTransmission(out)
            return datagrams
        }

        /// A datagram of an unknown type to the router: one `malformed` drop.
        func sendGarbageToRouter() {
            var junk: [UInt8] = [0x7f, 1, 2, 3, 4, 5, 6, 7]
            _ = junk.withUnsafeMutableBytes {
                router.receive($0.baseAddress!, length: $0.count, slot: 0, source: EnginePair.hostLocal, now: now)
            }
        }
    }

    func testARealEnginesStateReachesTheTextThroughJSON() throws {
        let pair = EnginePair()
        pair.run(for: 800_000_000)
        pair.sendGarbageToRouter()
        let peer = pair.host.peers[0]
        XCTAssertNotNil(peer.session, "the handshake did not complete")
        let connection = try XCTUnwrap(peer.connections.first)
        XCTAssertGreaterThan(connection.statistics.smoothedRTT, 0, "no probe round trip measured")

        var facts = StatusSnapshot.CoreFacts()
        facts.interface = "ml-vm0"
        facts.name = "vm0"
        facts.role = "host"
        facts.address = "10.77.0.10/24"
        facts.mode = "redundant"
        facts.links = [LinkReport(link: "wwan0", local: EnginePair.hostLocal.description)]
        facts.routerNetworks = [IPNetwork("10.77.0.1/32")!]
        facts.tunWriteDrops = 3
        let wallNow = 1_795_000_100.0
        let report = StatusSnapshot.report(engine: pair.host, facts: facts, now: pair.now, wallNow: wallNow)

        let decoded = try StatusReport(json: report.jsonLine)
        XCTAssertEqual(decoded, report)
        XCTAssertEqual(decoded.peers.first?.counters.handshakes, peer.counters.handshakes)
        XCTAssertEqual(decoded.peers.first?.connections.first?.counters.rxPackets, connection.statistics.rxPackets)
        XCTAssertEqual(decoded.drops.tunWrite, 3)

        let text = StatusText.render(decoded, wallNow: wallNow)
        let rtt = StatusText.fixed(Double(connection.statistics.smoothedRTT) / 1e6, digits: 2)
        for line in ["interface: ml-vm0", "  links: wwan0 192.168.0.2:40000", "peer: router",
                     "  public key: \(peer.publicKey.base64)", "  virtual addresses: 10.77.0.1/32",
                     "  transfer: \(StatusText.bytes(connection.statistics.rxBytes)) received, "
                        + "\(StatusText.bytes(connection.statistics.txBytes)) sent",
                     "  packets: \(peer.counters.delivered) delivered, \(peer.counters.duplicates) duplicates dropped, "
                        + "\(peer.counters.tooOld) too old"] {
            XCTAssertTrue(text.split(separator: "\n").contains(Substring(line)), "missing '\(line)' in\n\(text)")
        }
        let connectionLine = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("    wwan0  ") })
        XCTAssertTrue(connectionLine.contains("192.168.0.2:40000 -> 192.168.0.3:7000  \(connection.state.rawValue)"),
                      String(connectionLine))
        XCTAssertTrue(connectionLine.contains("rtt \(rtt) ms"), "\(connectionLine) lacks rtt \(rtt) ms")
        XCTAssertFalse(text.contains("latest handshake: never"), text)

        // The router's side: the garbage datagram is its one malformed drop, in JSON and in the metrics.
        let routerReport = StatusSnapshot.report(engine: pair.router, facts: StatusSnapshot.CoreFacts(),
                                                 now: pair.now, wallNow: wallNow)
        XCTAssertEqual(try StatusReport(json: routerReport.jsonLine).drops.malformed, 1)
        XCTAssertTrue(MetricsRenderer.render(routerReport).contains("mlink_dropped_packets_total{interface=\"\",reason=\"malformed\"} 1\n"))
        XCTAssertEqual(routerReport.peers.first?.virtualAddresses, ["10.77.0.10/32"], "a router's peers show their allowed-ips")
    }
}
