import CAllocationCounter
import Glibc
import MLinkProtocol
import MLinkTestSupport

/// Adaptive mode's cost per packet (issue 15: "engine cost per packet in adaptive mode <= 1.15x the one-link
/// figure"): two links, the default rule adaptive, the pair's clean links, so after the warm-up the planner has
/// stepped down to `single` and each packet is one copy on the primary, classified by the flow table, planned and
/// kept in the replay ring for a repair.
///
///     mlink-bench-engine --adaptive PACKETS           one run (for callgrind: instructions per packet)
///     mlink-bench-engine --check-adaptive-allocations  exits 1 unless the steady adaptive stream allocates nothing
extension EngineBenchmark {
    /// A two-link pair in adaptive mode, past the planner's warm-up: 8 s of fake time with a packet every 20 ms,
    /// so the plan came down from `duplicate` one level per 2 s hold to `single`.
    static func adaptivePair() -> EnginePair {
        let pair = EnginePair(links: 2)
        pair.host.setPolicies(PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "calls", mode: .adaptive)))
        let stream = Stream(pair: pair)
        for _ in 0..<160 {
            _ = stream.run(packets: 1)
            pair.exchange()
        }
        return pair
    }

    /// The plan the pair's host holds for the router (for the printed line).
    static func planName(_ pair: EnginePair) -> String {
        let plan = pair.host.peers[0].adaptive
        return "\(plan.level.name) on link \(plan.primaryLink)"
    }

    static func reportAdaptive(packets: Int) {
        let pair = adaptivePair()
        let stream = Stream(pair: pair)
        let start = clock()
        let delivered = stream.run(packets: packets)
        let seconds = Double(clock() - start) / Double(CLOCKS_PER_SEC)
        let rate = Double(packets) / seconds
        print("engine, adaptive, 2 links (\(planName(pair))): \(packets) packets of \(size) B in "
            + "\(round(seconds * 100) / 100) s CPU: \(Int(rate)) packets/s, delivered \(delivered)")
    }

    /// Zero heap allocations per packet in adaptive mode: 100,000 packets after a warm-up of 10,000, timers
    /// (and so the planner) running, every packet kept in the replay ring.
    static func checkAdaptiveAllocations() -> Bool {
        let pair = adaptivePair()
        let stream = Stream(pair: pair)
        let warmUp = stream.run(packets: 10_000)
        let sentBefore = pair.host.peers[0].counters.sent
        mlink_allocations_start()
        let delivered = stream.run(packets: 100_000)
        let allocations = mlink_allocations_stop()
        let sent = pair.host.peers[0].counters.sent - sentBefore
        print("allocations: \(allocations) for 100000 packets in adaptive mode, 2 links (\(planName(pair)), "
            + "delivered \(delivered), sent \(sent))")
        return warmUp == 10_000 && delivered == 100_000 && sent == 100_000 && allocations == 0
    }
}
