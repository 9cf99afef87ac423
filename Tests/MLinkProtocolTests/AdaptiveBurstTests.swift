import Foundation
import MLinkControl
import MLinkFlows
import MLinkTypes
import XCTest
@testable import MLinkProtocol

/// Adaptive mode on LTE-like links (issue 15, the bench's `lte` scenario) with the fake clock: 35 and 50 ms one
/// way with 8 and 10 ms of smooth jitter, Gilbert-Elliott burst loss (runs of mean 4) in both directions, the
/// lab's A/V stream (audio 50 x 160 B/s, video 25 frames/s of 8 x 1250 B). Before this branch the planner spent
/// most of the time duplicating: jitter looked like delay jumps, a repair was judged to need ~200 ms, parity was
/// chosen as if loss were random, and the receiver's reorder allowance plus a repair on the slower link missed
/// the deadline.
final class AdaptiveBurstTests: XCTestCase {
    /// Gilbert-Elliott loss: good -> bad with `p`, bad -> good with `r`, everything lost in the bad state.
    final class GilbertElliott {
        var bad = false
        let p: Double, r: Double
        var rng: SplitMix64
        init(p: Double, r: Double, seed: UInt64) {
            self.p = p
            self.r = r
            rng = SplitMix64(seed: seed)
        }
        func loses() -> Bool {
            bad = bad ? Double(rng.next() % 1_000_000) >= r * 1e6 : Double(rng.next() % 1_000_000) < p * 1e6
            return bad
        }
    }

    /// A smooth jitter curve as the lab's emulator draws it: normal knots (deviation `deviation`) every 20 ms,
    /// linear in between, so consecutive packets see nearly the same delay and a path hardly reorders.
    final class JitterCurve {
        let deviation: Double
        var rng: SplitMix64
        var knots: [Double] = []
        init(deviation: UInt64, seed: UInt64) {
            self.deviation = Double(deviation)
            rng = SplitMix64(seed: seed)
        }
        private func normal() -> Double {
            let u1 = (Double(rng.next() >> 11) + 0.5) / Double(1 << 53), u2 = Double(rng.next() >> 11) / Double(1 << 53)
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
        func offset(at time: UInt64) -> Double {
            let position = Double(time) / 20e6
            let index = Int(position)
            while knots.count < index + 2 { knots.append(normal() * deviation) }
            let fraction = position - Double(index)
            return knots[index] * (1 - fraction) + knots[index + 1] * fraction
        }
    }

    /// A UDP packet vm0 -> vm2 of `size` bytes to `port`, carrying `sequence` at bytes 28..35.
    static func udpPacket(_ sequence: UInt64, port: UInt16, size: Int) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: size)
        p[0] = 0x45; p[2] = UInt8(size >> 8); p[3] = UInt8(size & 0xff); p[8] = 64; p[9] = 17
        p[12] = 10; p[13] = 77; p[14] = 0; p[15] = 10
        p[16] = 10; p[17] = 77; p[18] = 0; p[19] = 20
        p[20] = 0x9c; p[21] = 0x40; p[22] = UInt8(port >> 8); p[23] = UInt8(port & 0xff)
        p[24] = UInt8((size - 20) >> 8); p[25] = UInt8((size - 20) & 0xff)
        for i in 0..<8 { p[28 + i] = UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64(i))) }
        return p
    }

    /// The delay of a datagram on a wire of `base` delay with a jitter curve per direction (vm0's first): in order
    /// per direction unless `inOrder` is false, as the lab's emulator keeps each net (FIFO unless `reorder=on`): a
    /// datagram never overtakes an earlier one (without this the curve's steep stretches reorder 3-4% of a path).
    static func jitteredLatency(_ net: FakeNetwork, base: UInt64, curves: [JitterCurve],
                                inOrder: Bool = true) -> (FakeNetwork.Datagram) -> UInt64 {
        var lastArrival: [UInt64] = [0, 0]
        return { [unowned net] datagram in
            let direction = datagram.fromNode == Seed.vm0 ? 0 : 1
            let delay = Double(base) + curves[direction].offset(at: net.now)
            let latency = UInt64(max(Double(Time.millisecond), delay))
            guard inOrder else { return latency }
            let arrival = max(net.now + latency, lastArrival[direction])
            lastArrival[direction] = arrival
            return arrival - net.now
        }
    }

    /// vm0 adaptive with `deadline` (target 0.1%), 1 ms to the hosts behind the router, the daemon's 5 ms tick,
    /// then 2 s for the plan to settle.
    static func startAdaptive(_ net: FakeNetwork, deadline: UInt64, maximumOverhead: Double = 0.5) {
        net.wire(2).latency = 1 * Time.millisecond
        net.wire(3).latency = 1 * Time.millisecond
        net.tickInterval = 5 * Time.millisecond  // the daemon's tick
        net.vm0.setPolicies(PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "calls", mode: .adaptive,
                                                                                   maximumOverhead: maximumOverhead),
                                           deadline: deadline, targetLoss: 0.001))
        net.advance(by: 2 * Time.second)
    }

    /// One 5-tuple for audio and video, as the lab's stream (and WebRTC's BUNDLE) sends them.
    static let audioPort: UInt16 = 5004, videoPort: UInt16 = 5004

    /// The seed network with vm0 adaptive (deadline 150 ms, target 0.1%, max-overhead 30%) and LTE-like links.
    private func lteNetwork(seed: UInt64) -> FakeNetwork {
        let net = Seed.establishedNetwork()
        let links: [(base: UInt64, jitter: UInt64, p: Double)] = [(35, 8, 0.005), (50, 10, 0.0075)]
        for (lan, link) in links.enumerated() {
            let curves = [JitterCurve(deviation: link.jitter * Time.millisecond, seed: seed &+ UInt64(lan) &* 10 &+ 1),
                          JitterCurve(deviation: link.jitter * Time.millisecond, seed: seed &+ UInt64(lan) &* 10 &+ 2)]
            let losses = [GilbertElliott(p: link.p, r: 0.25, seed: seed &+ UInt64(lan) &* 10 &+ 3),
                          GilbertElliott(p: link.p, r: 0.25, seed: seed &+ UInt64(lan) &* 10 &+ 4)]
            let wire = net.wire(UInt8(lan))
            wire.latencyOf = AdaptiveBurstTests.jitteredLatency(net, base: link.base * Time.millisecond, curves: curves)
            wire.drop = { _, datagram in losses[datagram.fromNode == Seed.vm0 ? 0 : 1].loses() }
        }
        AdaptiveBurstTests.startAdaptive(net, deadline: 150 * Time.millisecond, maximumOverhead: 0.3)
        return net
    }

    /// What a run of the A/V stream measured.
    struct Run {
        var sent = 0, lost = 0
        var audioDelays: [UInt64] = []
        var levelTime: [AdaptivePlan.Level: UInt64] = [:]
        var levels: [AdaptivePlan.Level] = []
        /// Each level change with its time and reason (printed by the test).
        var reasons: [String] = []
        var extraShare = 0.0
    }

    /// Streams the A/V pattern from vm0 for `duration`, measuring only after `warmUp`.
    private func streamAV(_ net: FakeNetwork, warmUp: UInt64, duration: UInt64) -> Run {
        let host = net.routerPeer(of: Seed.vm0)
        var run = Run()
        var sentAt: [UInt64: UInt64] = [:], isAudio: [UInt64: Bool] = [:]
        var sequence: UInt64 = 0, seen = net.nodes[Seed.vm2].tun.count
        var before: [ConnectionCounts] = []
        let start = net.now, end = start + warmUp + duration
        var step: UInt64 = 0
        while net.now < end {
            let measuring = net.now >= start + warmUp
            if measuring && before.isEmpty { before = host.connections.map(\.statistics.traffic) }
            if step % 10 == 0 {  // every 20 ms: an audio packet; every 40 ms: a video frame of 8
                var packets = [(AdaptiveBurstTests.audioPort, 188)]
                if step % 20 == 0 { packets += Array(repeating: (AdaptiveBurstTests.videoPort, 1278), count: 8) }
                for (port, size) in packets {
                    net.transmit(from: Seed.vm0, packet: AdaptiveBurstTests.udpPacket(sequence, port: port, size: size))
                    if measuring {
                        sentAt[sequence] = net.now
                        isAudio[sequence] = size < 300
                        run.sent += 1
                    }
                    sequence += 1
                }
            }
            net.advance(by: 2 * Time.millisecond)
            step += 1
            let tun = net.nodes[Seed.vm2].tun
            while seen < tun.count {
                let packet = tun[seen]
                seen += 1
                guard packet.count >= 36 else { continue }
                let s = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(packet[28 + $1]) }
                if let at = sentAt.removeValue(forKey: s), isAudio[s] == true { run.audioDelays.append(net.now - at) }
            }
            if measuring {
                run.levelTime[host.adaptive.level, default: 0] += 2 * Time.millisecond
                if run.levels.last != host.adaptive.level {
                    run.levels.append(host.adaptive.level)
                    run.reasons.append("\((net.now - start) / Time.millisecond) ms \(host.adaptive.level.name) link \(host.adaptive.primaryLink): "
                        + host.adaptive.reasonText(deadline: 150 * Time.millisecond, targetLoss: 0.001))
                }
            }
        }
        net.advance(by: Time.second)
        let tun = net.nodes[Seed.vm2].tun
        while seen < tun.count {
            let packet = tun[seen]
            seen += 1
            guard packet.count >= 36 else { continue }
            sentAt.removeValue(forKey: (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(packet[28 + $1]) })
        }
        run.lost = sentAt.count
        var data: UInt64 = 0, extra: UInt64 = 0
        for (c, earlier) in zip(host.connections, before) {
            let t = c.statistics.traffic
            data += t.txDataBytes - earlier.txDataBytes
            extra += t.txDuplicateBytes - earlier.txDuplicateBytes + t.txReplayBytes - earlier.txReplayBytes
                + t.txParityBytes - earlier.txParityBytes
        }
        run.extraShare = Double(extra) / Double(max(data, 1))
        run.audioDelays.sort()
        return run
    }

    func testLTEBurstsWithJitterAreRepairedNotDuplicated() {
        let net = lteNetwork(seed: 46)
        let run = streamAV(net, warmUp: 8 * Time.second, duration: 30 * Time.second)
        let host = net.routerPeer(of: Seed.vm0)
        let loss = Double(run.lost) / Double(run.sent)
        let total = run.levelTime.values.reduce(0, +)
        let duplicateShare = Double(run.levelTime[.duplicate, default: 0]) / Double(total)
        let p99 = run.audioDelays[run.audioDelays.count * 99 / 100]
        print("lte-like, 30 s: \(run.lost) of \(run.sent) lost (\(loss * 100)%), extra data bytes \(run.extraShare * 100)%, "
              + "duplicate \(duplicateShare * 100)% of the time, levels \(run.levels.map(\.name)), audio p99 "
              + "\(p99 / Time.millisecond) ms, \(host.counters.repaired) repaired, \(host.counters.repairMisses) misses, "
              + "mean run \(host.connections.map(\.feedback.burst.meanRun)), plan \(host.adaptive.level.name): "
              + host.adaptive.reasonText(deadline: 150 * Time.millisecond, targetLoss: 0.001)
              + "; changes: " + run.reasons.joined(separator: "; "))
        // The bench's lte targets: loss <= 3 x the ideal (2% x 2.9% = 0.058%) + margin, <= 15% extra bytes,
        // audio p99 within 10 ms of the best single link's (35 + 2.33 x 8 = 54 ms).
        // (One seed: the losses come in runs, misses of 5-8 packets, so a 30 s run holds a few of them and its
        // count varies widely with the seed. Seeds 1-20 lost 2-52 of 7500, mean 18.2, with the near NACKs and
        // in-order wires; 23.2 without the near NACKs; main before them, on wires that reordered, 4-49, mean
        // 22.4, this seed 4 of them.)
        XCTAssertLessThanOrEqual(loss, 3 * 0.02 * 0.029 + 0.00205, "\(run.lost) of \(run.sent) lost (the bench's margin)")
        // (The audio's copies cost 3.5 points of it; a silence alarm's 2 s of duplication, when a loss run
        // outlasts the stream's silence threshold, about 7 more: 6.6% and 13.0% in the two runs of this seed.)
        XCTAssertLessThanOrEqual(run.extraShare, 0.15, "extra data bytes (duplication: 100%)")
        XCTAssertLessThan(duplicateShare, 0.2, "escalations are the exception: \(run.levelTime)")
        XCTAssertGreaterThan(host.counters.repaired, 50, "repairs do the work")
        XCTAssertFalse(run.levels.contains(.parity), "XOR parity cannot repair runs of 4: \(run.levels)")
        // Small packets are duplicated while protection is on (TunnelEngine+Policy.swift): the audio's p99 is the
        // faster link's, not a repair's (118 ms before: the small share was an average of each tick's share, 42%
        // for this stream, so the rule never applied).
        XCTAssertTrue(host.adaptiveSmallIsCheap, "audio is 4% of the bytes: \(host.adaptiveSmallRate / host.adaptiveDataRate)")
        XCTAssertLessThanOrEqual(p99, 64 * Time.millisecond, "audio p99 within 10 ms of the best single link's")
        let primary = host.connections.firstIndex { Int($0.group(isRouter: false) & 0xff) == host.adaptive.primaryLink }
        XCTAssertEqual(host.adaptive.primaryLink, 0, "the faster link carries the data")
        XCTAssertGreaterThan(primary.map { host.connections[$0].feedback.burst.meanRun } ?? 0, 2.5,
                             "runs of mean 4 measured from the NACKs")
    }

    func testARepairTooLateOnTheOtherLinkGoesOnTheLinkThatLostIt() {
        // 35 and 50 ms, no jitter, deadline 120 ms: a NACK reaches vm0 about 80 ms after the send; a repair on the
        // 50 ms link would arrive at 130 ms, one on the 35 ms link that lost the packet at 115 ms. (Before, only
        // the other link was allowed, and the receiver waited the 15 ms delay spread first: a miss.)
        let net = Seed.establishedNetwork()
        net.wire(0).latency = 35 * Time.millisecond
        net.wire(1).latency = 50 * Time.millisecond
        AdaptiveBurstTests.startAdaptive(net, deadline: 120 * Time.millisecond)
        var sequence: UInt64 = 0
        func send(_ count: Int) {
            for _ in 0..<count {
                net.transmit(from: Seed.vm0, packet: AdaptiveBurstTests.udpPacket(sequence, port: 5006, size: 600))
                sequence += 1
                net.advance(by: 4 * Time.millisecond)
            }
        }
        send(1500)  // 6 s: the plan steps down to one copy on the faster link
        let host = net.routerPeer(of: Seed.vm0)
        XCTAssertEqual(host.adaptive.level, .single)
        XCTAssertEqual(host.adaptive.primaryLink, 0)
        let lost = sequence
        var dropped = false
        net.wire(0).drop = { _, datagram in
            guard !dropped, datagram.fromNode == Seed.vm0, datagram.bytes.count > 600 else { return false }
            dropped = true
            return true
        }
        let repairedBefore = host.counters.repaired, missesBefore = host.counters.repairMisses
        let replaysBefore = host.connections.map(\.statistics.traffic.txReplayPackets)
        send(50)
        XCTAssertTrue(dropped)
        XCTAssertEqual(host.counters.repaired - repairedBefore, 1, "repaired, not missed (\(host.counters.repairMisses - missesBefore) misses)")
        let replays = zip(host.connections, replaysBefore).filter { $0.0.statistics.traffic.txReplayPackets > $0.1 }
        XCTAssertEqual(replays.map { Int($0.0.group(isRouter: false) & 0xff) }, [0], "on the link that lost it")
        let delivered = Set(net.nodes[Seed.vm2].tun.compactMap { packet -> UInt64? in
            packet.count >= 36 ? (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(packet[28 + $1]) } : nil
        })
        XCTAssertTrue(delivered.contains(lost), "the repair delivered it")
    }
}
