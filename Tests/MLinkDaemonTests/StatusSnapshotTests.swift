import MLinkControl
import MLinkProtocol
import MLinkSystem
import MLinkTypes
import XCTest
@testable import MLinkDaemon

/// What a `show` answer costs the event loop: building the report from an engine, and encoding it.
final class StatusSnapshotTests: XCTestCase {
    /// A host engine with 16 links x 4 router endpoints = 64 connections (no traffic needed: a host knows its
    /// connections in advance).
    func hostEngine() -> TunnelEngine {
        let router = PeerConfiguration(name: "router", publicKey: TunnelEngine.publicKey(for: Key32(w0: 1, w1: 2, w2: 3, w3: 4)),
                                       allowedIPs: [IPNetwork("10.77.0.0/24")!])
        let engine = TunnelEngine(configuration: EngineConfiguration(isRouter: false, privateKey: Key32(w0: 9, w1: 8, w2: 7, w3: 6),
                                                                     virtualAddress: IPAddress("10.77.0.10")!, peers: [router]),
                                  wallClock: { 1_795_000_000_000_000_000 })
        for slot in 0..<16 {
            engine.linkAdded(slot: slot, name: "wwan\(slot)",
                             local: SocketAddress(address: IPAddress("10.64.\(slot).7")!, port: UInt16(40000 + slot)))
        }
        engine.setRouterEndpoints((0..<4).map { SocketAddress(address: IPAddress("203.0.113.\(10 + $0)")!, port: 7000) })
        return engine
    }

    /// Median of `rounds` timings of `body`, in microseconds.
    func median(_ rounds: Int = 21, _ body: () -> Void) -> Double {
        var samples: [UInt64] = []
        for _ in 0..<rounds {
            let start = MonotonicClock.now()
            body()
            samples.append(MonotonicClock.now() - start)
        }
        return Double(samples.sorted()[rounds / 2]) / 1e3
    }

    func testAShowAnswerCostsTheLoopWellUnderAMillisecondAtHostScale() {
        let engine = hostEngine()
        XCTAssertEqual(engine.peers[0].connections.count, 64)
        var bytes = 0
        let build = median { _ = StatusSnapshot.report(engine: engine, facts: .init(), now: 2_000_000_000, wallNow: 0) }
        let report = StatusSnapshot.report(engine: engine, facts: .init(), now: 2_000_000_000, wallNow: 0)
        let encode = median { bytes = report.jsonLine.count }
        let metrics = median { _ = MetricsRenderer.render(report) }
        print("status answer, 1 peer x 64 connections: build \(build) us, encode \(encode) us (\(bytes) B), "
              + "metrics text \(metrics) us")
        // Generous bound (debug build, shared machine); the figures above are what to look at.
        XCTAssertLessThan(build + encode, 20_000)
    }

    func testARouterReportWithAHundredPeersEncodesInMilliseconds() {
        var report = StatusReport()
        for p in 0..<100 {
            var peer = PeerReport()
            peer.name = "host\(p)"
            peer.publicKey = String(repeating: "A", count: 43) + "="
            peer.allowedIPs = ["10.77.\(p / 250).\(p % 250)/32"]
            for c in 0..<4 {
                var connection = ConnectionReport()
                connection.link = "eth\(c)"
                connection.local = "192.0.2.1:7000"
                connection.remote = "198.51.100.\(p):\(40000 + c)"
                connection.rttMilliseconds = 12.5
                connection.counters.txBytes = UInt64(p * 1000 + c)
                peer.connections.append(connection)
            }
            report.peers.append(peer)
        }
        var bytes = 0
        let encode = median(11) { bytes = report.jsonLine.count }
        print("status answer, 100 peers x 4 connections: encode \(encode) us (\(bytes) B)")
        XCTAssertLessThan(encode, 200_000)
    }
}
