import Foundation
import MLinkTypes

/// The emulator's decisions for one direction of a net, with no I/O: given a frame's arrival time and size,
/// drop it or say when it leaves. The relay process feeds it; tests drive it with a fake clock.
///
/// Per frame, in order:
/// 1. outage (`down`, or inside `flap`'s down part of its period): drop;
/// 2. Gilbert-Elliott: step the chain once, drop with the state's loss probability;
/// 3. random loss: drop with `loss`;
/// 4. bottleneck (`rate`): the frame starts serialising when the one ahead finished; if the backlog it would
///    join exceeds `queue` seconds at `rate`, tail-drop;
/// 5. due = serialised + delay + jitter (from `distribution`, a smooth curve over `jitterTime`, never below zero);
/// 6. without `reorder`, due is raised to the previous frame's due (FIFO, like a real link's queue).
/// Times are CLOCK_MONOTONIC nanoseconds.
public struct DirectionEngine {
    /// Why frames were dropped, and how many went through.
    public struct Counters: Codable, Equatable {
        public var received = 0
        public var forwarded = 0
        public var outage = 0
        public var burst = 0
        public var random = 0
        public var queue = 0
        /// No free buffer (more than the relay can hold in flight) or a frame too large.
        public var overflow = 0
        public var sendFailed = 0
    }

    public var settings = Emulation()
    public var counters = Counters()
    /// Whether the Gilbert-Elliott chain is in its bad state.
    private(set) var inBadState = false
    /// When the bottleneck finishes serialising what it holds.
    private var bottleneckFree: Int64 = 0
    /// The latest due time handed out (FIFO floor).
    private var lastDue: Int64 = 0
    /// The jitter curve: the knot index and the standard normal values at its two ends.
    private var jitterKnot = Int64.min
    private var jitterFrom = 0.0
    private var jitterTo = 0.0

    /// Decides one frame of `bytes` arriving `now`, with the emulator epoch `epoch` (flap phase); nil drops it.
    public mutating func admit(bytes: Int, now: Int64, epoch: Int64, random: inout SplitMix64) -> Int64? {
        counters.received += 1
        if settings.down || isFlapDown(now: now, epoch: epoch) {
            counters.outage += 1
            return nil
        }
        if let burst = settings.burst {
            inBadState = inBadState ? random.nextUnit() >= burst.r : random.nextUnit() < burst.p
            if random.nextUnit() < (inBadState ? burst.h : burst.k) {
                counters.burst += 1
                return nil
            }
        }
        if settings.loss > 0 && random.nextUnit() < settings.loss {
            counters.random += 1
            return nil
        }
        var start = now
        if let rate = settings.rate {
            let backlog = max(0, bottleneckFree - now)
            if Double(backlog) > settings.queue * 1e9 {
                counters.queue += 1
                return nil
            }
            start = max(now, bottleneckFree)
            bottleneckFree = start + Int64(Double(bytes * 8) / rate * 1e9)
            start = bottleneckFree
        }
        var due = start + Int64(settings.delay * 1e9) + Int64(jitterSample(now: now, &random) * 1e9)
        due = max(due, start)
        if !settings.reorder { due = max(due, lastDue) }
        lastDue = max(lastDue, due)
        return due
    }

    /// Seconds added to the delay: centred on zero for normal and uniform, one-sided for pareto; the total
    /// delay is clamped at zero by the caller.
    ///
    /// With `jitterTime` > 0 the jitter is a smooth random curve in time rather than a fresh draw per packet:
    /// standard normal knots every `jitterTime`, interpolated linearly and rescaled by
    /// 1/sqrt((1-f)^2 + f^2) so that the value at *every* instant is exactly standard normal. Its distribution
    /// then does not depend on the packet rate, and consecutive packets see similar delays, as on a real
    /// access link; drawn per packet, a FIFO link at 1000 packets/s would turn the jitter into "the maximum of
    /// the last few draws" and shift every delay up. Other distributions map the normal value through its CDF
    /// (uniform: 2u-1; pareto: shape 3, scale `jitter`, shifted to start at 0).
    private mutating func jitterSample(now: Int64, _ random: inout SplitMix64) -> Double {
        let spread = settings.jitter
        guard spread > 0 else { return 0 }
        let z: Double
        if settings.jitterTime > 0 {
            let position = Double(now) / (settings.jitterTime * 1e9)
            let knot = Int64(position.rounded(.down))
            if knot != jitterKnot {
                jitterFrom = knot == jitterKnot + 1 ? jitterTo : DirectionEngine.normal(&random)
                jitterTo = DirectionEngine.normal(&random)
                jitterKnot = knot
            }
            let f = position - Double(knot)
            z = ((1 - f) * jitterFrom + f * jitterTo) / ((1 - f) * (1 - f) + f * f).squareRoot()
        } else {
            z = DirectionEngine.normal(&random)
        }
        switch settings.distribution {
        case .normal:
            return spread * z
        case .uniform:
            return spread * (2 * DirectionEngine.normalCDF(z) - 1)
        case .pareto:
            let u = max(1 - DirectionEngine.normalCDF(z), 1e-12)
            return spread * (pow(u, -1.0 / 3) - 1)
        }
    }

    /// A standard normal variate (Box-Muller; the second variate is thrown away to keep the state simple).
    public static func normal(_ random: inout SplitMix64) -> Double {
        let u1 = max(random.nextUnit(), 1e-12), u2 = random.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    public static func normalCDF(_ z: Double) -> Double { 0.5 * (1 + erf(z / 2.0.squareRoot())) }

    private func isFlapDown(now: Int64, epoch: Int64) -> Bool {
        guard let flap = settings.flap, flap.down > 0 else { return false }
        let elapsed = Double(now - epoch) / 1e9
        guard elapsed >= 0 else { return false }
        return elapsed.truncatingRemainder(dividingBy: flap.period) < flap.down
    }
}
