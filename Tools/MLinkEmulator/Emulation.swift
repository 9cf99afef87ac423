import Foundation

/// What the link emulator does to the packets of one direction of a net.
///
/// One value per direction, so that an LTE uplink can differ from its downlink. Settings are written as
/// `KEY=VALUE` words, the same on the command line (`mlink-lab set net0 delay=40ms jitter=10ms loss=2%`), in a
/// topology's `emulate:` mapping, in a scenario and in a time script:
///
/// | key | value | meaning |
/// |---|---|---|
/// | `delay` | `40ms`, `1.5s`, `250us` (a bare number is ms) | fixed one-way delay |
/// | `jitter` | a duration | spread added to the delay: the standard deviation (`normal`) or half-width (`uniform`) |
/// | `jitter-time` | a duration (default 20ms; 0 = a fresh draw per packet) | how fast jitter changes: a smooth random curve with a new knot every `jitter-time` |
/// | `distribution` | `normal`, `uniform`, `pareto` | how jitter is drawn (`pareto`: heavy tail, scale `jitter`, shape 3) |
/// | `reorder` | `on`, `off` | let jitter reorder packets (off: a packet never leaves before the one ahead of it) |
/// | `loss` | `2%` | independent random loss |
/// | `ge` | `P/R[/H[/K]]` in % or `off` | Gilbert-Elliott burst loss: good->bad P, bad->good R, loss in bad H (100), in good K (0) |
/// | `rate` | `2mbit`, `500kbit`, `1gbit`, `off` | bottleneck rate (bits/s, frames counted whole) |
/// | `queue` | a duration (default 100ms) | the bottleneck's queue bound, in time at `rate`; tail drop beyond it |
/// | `down` | `on`, `off` | outage: every packet is dropped |
/// | `flap` | `PERIOD/DOWN` (`2s/1s`) or `off` | a periodic outage: down for DOWN at the start of every PERIOD |
///
/// Jitter without reordering is what a real access link does (its queue is FIFO); the price is that the
/// delay distribution shifts up a little at high packet rates, because a packet that drew a short delay
/// waits for the one ahead. Loss processes run in order: outage, then Gilbert-Elliott, then random loss,
/// then the queue bound.
public struct Emulation: Codable, Equatable, Sendable {
    /// How jitter is drawn.
    public enum Distribution: String, Codable, Equatable, Sendable, CaseIterable {
        case normal
        case uniform
        case pareto
    }

    /// The two-state burst loss model: long quiet stretches and short bursts of loss.
    public struct GilbertElliott: Codable, Equatable, Sendable {
        /// Probability per packet of going from good to bad.
        public var p: Double
        /// Probability per packet of going from bad back to good; 1/r is the mean burst length in packets.
        public var r: Double
        /// Loss probability in the bad state.
        public var h = 1.0
        /// Loss probability in the good state.
        public var k = 0.0

        /// The long-run share of packets lost.
        public var meanLoss: Double {
            guard p + r > 0 else { return k }
            let bad = p / (p + r)
            return bad * h + (1 - bad) * k
        }
    }

    /// A periodic outage, phased from the emulator's epoch (the time script's zero).
    public struct Flap: Codable, Equatable, Sendable {
        /// Seconds between the starts of two outages.
        public var period: Double
        /// Seconds each outage lasts, at the start of each period.
        public var down: Double
    }

    /// Seconds.
    public var delay = 0.0
    /// Seconds.
    public var jitter = 0.0
    /// Seconds between the knots of the jitter curve; 0 draws every packet independently.
    public var jitterTime = 0.02
    public var distribution = Distribution.normal
    public var reorder = false
    /// Share of packets lost at random, 0...1.
    public var loss = 0.0
    public var burst: GilbertElliott?
    /// Bits per second; nil for no bottleneck.
    public var rate: Double?
    /// Seconds of backlog the bottleneck holds at `rate`.
    public var queue = 0.1
    public var down = false
    public var flap: Flap?

    /// True when nothing is done to packets: they are forwarded at once.
    /// No impairment at all: what a net's relay does before `set`.
    public init() {}

    public var isTransparent: Bool { self == Emulation() }

    /// The long-run share of packets lost by the loss processes and outages together (not the queue bound).
    public var expectedLoss: Double {
        if down { return 1 }
        let outage = flap.map { min(1, max(0, $0.down / $0.period)) } ?? 0
        let survive = (1 - outage) * (1 - (burst?.meanLoss ?? 0)) * (1 - loss)
        return 1 - survive
    }

    /// One `KEY=VALUE` word that could not be understood.
    public struct SettingError: Error, Equatable, CustomStringConvertible {
        public var setting: String
        public var problem: String
        public var description: String { "\(setting): \(problem)" }
    }

    public static let keys = ["delay", "jitter", "jitter-time", "distribution", "reorder", "loss", "ge", "rate", "queue", "down", "flap"]

    /// Applies one `KEY=VALUE` word.
    public mutating func apply(_ word: String) throws(SettingError) {
        guard let equals = word.firstIndex(of: "=") else {
            throw SettingError(setting: word, problem: "expected KEY=VALUE with KEY one of \(Emulation.keys.joined(separator: ", "))")
        }
        try apply(key: String(word[..<equals]), value: String(word[word.index(after: equals)...]))
    }

    /// Applies one setting.
    public mutating func apply(key: String, value: String) throws(SettingError) {
        let fail = { (problem: String) in SettingError(setting: "\(key)=\(value)", problem: problem) }
        switch key {
        case "delay", "jitter", "jitter-time":
            guard let seconds = Emulation.duration(value) else { throw fail("expected a duration such as 40ms") }
            switch key {
            case "delay": delay = seconds
            case "jitter": jitter = seconds
            default: jitterTime = seconds
            }
        case "distribution":
            guard let kind = Distribution(rawValue: value) else { throw fail("expected normal, uniform or pareto") }
            distribution = kind
        case "reorder", "down":
            guard let flag = Emulation.flag(value) else { throw fail("expected on or off") }
            if key == "reorder" { reorder = flag } else { down = flag }
        case "loss":
            guard let share = Emulation.share(value) else { throw fail("expected a percentage such as 2%") }
            loss = share
        case "ge":
            if value == "off" { burst = nil; return }
            let parts = value.split(separator: "/").map { Emulation.share(String($0)) }
            guard (2...4).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
                throw fail("expected P/R[/H[/K]] in percent, such as 0.5%/25%")
            }
            let values = parts.map { $0! }
            guard values[1] > 0 else { throw fail("R must be above 0 (1/R is the mean burst length)") }
            burst = GilbertElliott(p: values[0], r: values[1], h: values.count > 2 ? values[2] : 1,
                                   k: values.count > 3 ? values[3] : 0)
        case "rate":
            if value == "off" { rate = nil; return }
            guard let bits = Emulation.bitRate(value), bits > 0 else { throw fail("expected a rate such as 2mbit or off") }
            rate = bits
        case "queue":
            guard let seconds = Emulation.duration(value), seconds > 0 else { throw fail("expected a duration such as 100ms") }
            queue = seconds
        case "flap":
            if value == "off" { flap = nil; return }
            let parts = value.split(separator: "/").map { Emulation.duration(String($0)) }
            guard parts.count == 2, let period = parts[0], let downFor = parts[1], period > 0, downFor >= 0,
                  downFor <= period else {
                throw fail("expected PERIOD/DOWN such as 2s/1s, DOWN at most PERIOD")
            }
            flap = Flap(period: period, down: downFor)
        default:
            throw fail("unknown key (expected \(Emulation.keys.joined(separator: ", ")))")
        }
    }

    /// The settings that differ from no emulation, as `KEY=VALUE` words: what `status` prints.
    public var words: [String] {
        var out: [String] = []
        if delay > 0 { out.append("delay=\(Emulation.format(seconds: delay))") }
        if jitter > 0 {
            out.append("jitter=\(Emulation.format(seconds: jitter))")
            if jitterTime != 0.02 { out.append("jitter-time=\(Emulation.format(seconds: jitterTime))") }
            if distribution != .normal { out.append("distribution=\(distribution.rawValue)") }
        }
        if reorder { out.append("reorder=on") }
        if loss > 0 { out.append("loss=\(Emulation.format(share: loss))") }
        if let burst {
            out.append("ge=" + [burst.p, burst.r, burst.h, burst.k].map(Emulation.format(share:)).joined(separator: "/"))
        }
        if let rate { out.append("rate=\(Emulation.format(bits: rate))") }
        if rate != nil || queue != 0.1 { out.append("queue=\(Emulation.format(seconds: queue))") }
        if down { out.append("down=on") }
        if let flap { out.append("flap=\(Emulation.format(seconds: flap.period))/\(Emulation.format(seconds: flap.down))") }
        return out
    }

    // MARK: Values

    /// `40ms`, `1.5s`, `250us`, or a bare number of milliseconds, as seconds; nil when malformed or negative.
    public static func duration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("s", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return value * scale
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return value * 1e-3
    }

    /// `2%` or `2` (percent) as a share 0...1.
    public static func share(_ text: String) -> Double? {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(number), value >= 0, value <= 100 else { return nil }
        return value / 100
    }

    /// `2mbit`, `500kbit`, `1gbit`, `64000bit` or a bare number of bits/s.
    public static func bitRate(_ text: String) -> Double? {
        let units: [(String, Double)] = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1)]
        let lower = text.lowercased()
        for (suffix, scale) in units where lower.hasSuffix(suffix) {
            guard let value = Double(lower.dropLast(suffix.count)), value.isFinite else { return nil }
            return value * scale
        }
        return Double(lower)
    }

    public static func flag(_ text: String) -> Bool? {
        switch text {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: return nil
        }
    }

    public static func format(seconds: Double) -> String {
        if seconds >= 1 || seconds == 0 { return trimmed(seconds) + "s" }
        if seconds >= 1e-3 { return trimmed(seconds * 1e3) + "ms" }
        return trimmed(seconds * 1e6) + "us"
    }

    public static func format(share: Double) -> String { trimmed(share * 100) + "%" }

    public static func format(bits: Double) -> String {
        if bits >= 1e9 { return trimmed(bits / 1e9) + "gbit" }
        if bits >= 1e6 { return trimmed(bits / 1e6) + "mbit" }
        if bits >= 1e3 { return trimmed(bits / 1e3) + "kbit" }
        return trimmed(bits) + "bit"
    }

    private static func trimmed(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

/// The emulation of both directions of a net plus the time script the emulator follows: what the lab saves in
/// its state and hands to the net's relay process.
public struct WireEmulation: Codable, Equatable, Sendable {
    /// Packets going from the net's first end to its second.
    public var forward = Emulation()
    /// Packets going from the second end to the first.
    public var backward = Emulation()
    /// Timed changes, applied in order as the emulator's clock passes them.
    public var script: [ScriptStep] = []
    /// CLOCK_MONOTONIC nanoseconds of the script's zero (and of `flap`'s phase); 0 means "when loaded".
    public var epoch: Int64 = 0
    /// Seed of the emulator's random numbers, so that a run can be repeated.
    public var seed: UInt64 = 1

    /// Both directions as given, no script, epoch 0 (the relay's start), seed 1.
    public init(forward: Emulation = Emulation(), backward: Emulation = Emulation()) {
        self.forward = forward
        self.backward = backward
    }

    /// Which directions a change applies to.
    public enum Direction: String, Codable, Equatable, Sendable {
        case both
        case forward
        case backward
    }

    /// One timed change: at `at` seconds after the epoch, apply `settings` to `direction`.
    public struct ScriptStep: Codable, Equatable, Sendable {
        public var at: Double
        public var direction: Direction = .both
        /// `KEY=VALUE` words, validated when the script was read.
        public var settings: [String]

        /// A step `at` seconds after the epoch.
        public init(at: Double, direction: Direction = .both, settings: [String]) {
            self.at = at
            self.direction = direction
            self.settings = settings
        }
    }

    /// Applies `words` to one or both directions; nothing changes if any word is malformed.
    public mutating func apply(_ words: [String], to direction: Direction) throws(Emulation.SettingError) {
        var forward = self.forward, backward = self.backward
        for word in words {
            if direction != .backward { try forward.apply(word) }
            if direction != .forward { try backward.apply(word) }
        }
        self.forward = forward
        self.backward = backward
    }
}

