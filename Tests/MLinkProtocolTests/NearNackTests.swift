import MLinkControl
import MLinkFlows
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// The receiver's near rule (a run its own ordered path revealed lost is NACKed at the next tick) and the
/// planner's averaged repair-time estimate (TunnelEngine+Feedback.swift `nearAllowance`, TunnelEngine+Policy.swift
/// `repairJitter`), with the fake clock.
final class NearNackTests: XCTestCase {
    /// The seed network with vm0 adaptive (deadline 150 ms) on 35 and 50 ms links with smooth jitter of
    /// `jitter` (AdaptiveBurstTests.JitterCurve); `fifo` keeps each wire direction in order, as the lab's
    /// emulator does. Nothing is lost unless `drop` says so.
    private func network(jitter: UInt64, fifo: Bool, seed: UInt64 = 7,
                         drop: ((FakeNetwork.Datagram) -> Bool)? = nil) -> FakeNetwork {
        let net = Seed.establishedNetwork()
        for (lan, base) in [UInt64(35), 50].enumerated() {
            let curves = [AdaptiveBurstTests.JitterCurve(deviation: jitter, seed: seed &+ UInt64(lan) &* 10 &+ 1),
                          AdaptiveBurstTests.JitterCurve(deviation: jitter, seed: seed &+ UInt64(lan) &* 10 &+ 2)]
            let wire = net.wire(UInt8(lan))
            wire.latencyOf = AdaptiveBurstTests.jitteredLatency(net, base: base * Time.millisecond, curves: curves,
                                                                inOrder: fifo)
            if lan == 0, let drop { wire.drop = { _, datagram in drop(datagram) } }
        }
        AdaptiveBurstTests.startAdaptive(net, deadline: 150 * Time.millisecond)
        return net
    }

    /// Sends `count` 600-byte packets vm0 -> vm2, one every 4 ms, from `sequence` on; calls `each` after every
    /// millisecond of fake time.
    private func stream(_ net: FakeNetwork, from sequence: inout UInt64, count: Int, each: () -> Void = {}) {
        for _ in 0..<count {
            net.transmit(from: Seed.vm0, packet: AdaptiveBurstTests.udpPacket(sequence, port: 5006, size: 600))
            sequence += 1
            for _ in 0..<4 {
                net.advance(by: Time.millisecond)
                each()
            }
        }
    }

    private func delivered(_ net: FakeNetwork) -> Set<UInt64> {
        Set(net.nodes[Seed.vm2].tun.compactMap { packet -> UInt64? in
            packet.count >= 36 ? (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(packet[28 + $1]) } : nil
        })
    }

    func testALossItsOwnOrderedPathRevealedIsNackedAtTheNextTick() {
        var armed = false
        let net = network(jitter: 12 * Time.millisecond, fifo: true) { datagram in
            guard armed, datagram.fromNode == Seed.vm0, datagram.bytes.count > 600 else { return false }
            armed = false
            return true
        }
        var sequence: UInt64 = 0
        stream(net, from: &sequence, count: 1500)  // 6 s: one copy on the faster link
        let host = net.routerPeer(of: Seed.vm0), router = net.router.peers[Seed.routerPeerVM0]
        XCTAssertLessThan(host.adaptive.level, .duplicate)
        XCTAssertEqual(host.adaptive.primaryLink, 0)
        XCTAssertTrue(router.connections.allSatisfy(\.statistics.keepsOrder), "FIFO wires keep their order")
        // What the run would wait without the rule: the single path's allowance (half the largest RTTVAR + 2 ms),
        // more than a tick and the millisecond steps, or this test could not tell.
        let allowance = net.router.reorderAllowance(router, singlePath: true)
        XCTAssertGreaterThan(allowance, 7 * Time.millisecond)
        let lost = sequence, nacksBefore = router.counters.nacksSent
        armed = true
        var revealedAt: UInt64?, nackedAt: UInt64?
        stream(net, from: &sequence, count: 50) {
            if revealedAt == nil, delivered(net).contains(lost + 1) { revealedAt = net.now - Time.millisecond }
            if nackedAt == nil, router.counters.nacksSent > nacksBefore { nackedAt = net.now }
        }
        XCTAssertFalse(armed, "the packet was dropped")
        guard let revealedAt, let nackedAt else { return XCTFail("revealed \(String(describing: revealedAt)), nacked \(String(describing: nackedAt))") }
        XCTAssertLessThanOrEqual(nackedAt - revealedAt, net.tickInterval + Time.millisecond,
                                 "NACKed at the next tick, not after the \(allowance / 1000) us allowance")
        XCTAssertTrue(delivered(net).contains(lost), "and repaired")
    }

    func testAPathThatReordersIsNotNackedEarly() {
        // The same links without FIFO: the jitter curve's steep stretches reorder a few percent of the datagrams.
        // A NACK at the next tick would repair most of them (each a needless copy); the allowance lets them come.
        let net = network(jitter: 12 * Time.millisecond, fifo: false)
        var sequence: UInt64 = 0
        stream(net, from: &sequence, count: 1500)
        let host = net.routerPeer(of: Seed.vm0), router = net.router.peers[Seed.routerPeerVM0]
        let repairedBefore = host.counters.repaired
        let reorderedBefore = router.connections.map(\.statistics.reordered).reduce(0, +)
        stream(net, from: &sequence, count: 2500)  // 10 s, nothing lost
        let reordered = router.connections.map(\.statistics.reordered).reduce(0, +) - reorderedBefore
        let repaired = host.counters.repaired - repairedBefore
        XCTAssertGreaterThan(reordered, 25, "the wire reorders")
        XCTAssertFalse(router.connections[0].statistics.keepsOrder)
        XCTAssertLessThan(repaired, reordered / 5, "\(repaired) repaired of nothing lost (\(reordered) reordered)")
        net.advance(by: 200 * Time.millisecond)
        XCTAssertEqual(delivered(net).count, Int(sequence), "nothing lost")
    }

    /// One lossy primary (2% random loss of vm0's data on net0), no jitter: the plan is retransmission.
    private func lossyNetwork() -> (FakeNetwork, Peer, UInt64) {
        var rng = SplitMix64(seed: 3)
        let net = network(jitter: 0, fifo: true) { datagram in
            datagram.fromNode == Seed.vm0 && datagram.bytes.count > 600 && rng.next() % 50 == 0
        }
        var sequence: UInt64 = 0
        stream(net, from: &sequence, count: 2500)  // 10 s
        let host = net.routerPeer(of: Seed.vm0)
        return (net, host, sequence)
    }

    func testABriefRTTVariationSwingDoesNotEscalate() {
        // RTTVAR follows the last few samples: one swing of it (here set by hand) made the estimate of a repair's
        // time jump past the deadline for a moment, and the plan escalated (to parity here) for at least a hold.
        let (net, host, start) = lossyNetwork()
        XCTAssertEqual(host.adaptive.level, .retransmit, host.adaptive.reasonText(deadline: 150 * Time.millisecond, targetLoss: 0.001))
        var sequence = start
        var levels: Set<AdaptivePlan.Level> = []
        for _ in 0..<3 {
            // 1.5 x 70 + 3 x 20 + 12 = 177 ms, past the 169 ms that retransmission keeps to; on every link, so the
            // faster one stays the primary.
            for c in host.connections.indices { host.connections[c].statistics.rttVariation = 20 * Time.millisecond }
            stream(net, from: &sequence, count: 2) { levels.insert(host.adaptive.level) }
        }
        XCTAssertEqual(levels, [.retransmit], "the averaged estimate: \(host.adaptive.repairTime / Time.millisecond) ms")
        XCTAssertEqual(host.adaptive.primaryLink, 0)
        XCTAssertLessThan(host.adaptive.repairTime, 150 * Time.millisecond)
    }

    func testADelayJumpStillDuplicatesAtOnce() {
        // The average slows nothing that is real: a step of the primary's delay escalates as soon as it shows.
        let (net, host, start) = lossyNetwork()
        XCTAssertEqual(host.adaptive.level, .retransmit)
        net.wire(0).latencyOf = { _ in 95 * Time.millisecond }  // +60 ms both ways
        var sequence = start, escalatedAt: UInt64?
        let jumpAt = net.now
        stream(net, from: &sequence, count: 500) {
            if escalatedAt == nil, host.adaptive.level == .duplicate { escalatedAt = net.now }
        }
        guard let escalatedAt else { return XCTFail("never escalated: \(host.adaptive.reasonText(deadline: 150 * Time.millisecond, targetLoss: 0.001))") }
        XCTAssertLessThan(escalatedAt - jumpAt, Time.second, "within the first probe rounds of the jump")
    }
}
