/// The receiver's reorder buffer for one peer's striped data packets (PROTOCOL.md section 16).
///
/// Striped packets form one chain per session: each names its predecessor by the stripe distance (byte 1 of its
/// header). A packet whose predecessor was the last one delivered goes at once, without a copy; one that overtook
/// its predecessor is copied into a preallocated slot and held until the gap fills, until it has waited
/// `maximumWait`, or until more than `limit` packets are held. Nothing allocates after `init`.
///
/// The wait is the engine's figure from the links' delay spread (`adapt`), raised to what late arrivals show:
/// a predecessor that came after its gap was given up by time says the links' skew is larger than the wait was
/// (their queues differ), so the wait becomes what would have held it, up to `waitCap`, and decays by a quarter
/// per second without a late arrival.
///
/// Sans-I/O: the engine calls `arrive` for every new striped packet and `next` to drain what became releasable;
/// times come from the caller's clock.
final class ReorderBuffer {
    /// What to do with an arriving striped packet.
    enum Arrival: Equatable {
        /// In order (or late): deliver it now, from where it lies.
        case deliver
        /// Copied into the buffer; `next` releases it later.
        case held
    }

    /// Room for one packet behind a transport header's headroom (the recovered packets' layout).
    static let stride = 2048
    /// Distance 255: no predecessor to wait for.
    static let noPredecessor: UInt8 = 255
    /// The longest wait (ns), the margin a learned wait keeps over a late arrival's lateness, and its decay step.
    static let waitCap: UInt64 = 50_000_000
    static let lateMargin: UInt64 = 2_000_000
    static let decayInterval: UInt64 = 1_000_000_000

    /// Packets held at most (one more slot takes the arrival that overflows).
    let limit: Int
    /// How long a held packet waits for its predecessor (ns); the engine sets it from the links' delays.
    var maximumWait: UInt64
    private let storage: UnsafeMutableRawPointer
    // Held packets are entries 0..<held of these arrays; `physical` maps an entry to its storage slot, and its
    // tail (held...) lists the free slots, so releasing an entry moves metadata, never packet bytes.
    private var physical: [Int]
    private var counters: [UInt64]
    /// Predecessor counters (0: none to wait for).
    private var predecessors: [UInt64]
    private var lengths: [Int]
    private var arrivals: [UInt64]
    private var sessions: [UInt32]
    private(set) var held = 0
    /// The counter of the last striped packet delivered in `session` (0: none yet).
    private(set) var last: UInt64 = 0
    /// The session (receiver index) the chain belongs to.
    private(set) var session: UInt32 = 0
    /// The entry `next` released last: its packet stays valid until the next call.
    private var releasedEntry = -1
    /// The wait late arrivals asked for (ns; 0: none), when the last gap was given up by time (0: never) and
    /// when the learned wait last decayed.
    private(set) var learnedWait: UInt64 = 0
    private var gaveUpAt: UInt64 = 0
    private var decayedAt: UInt64 = 0

    /// Counters for show: released in order after waiting, released on a timeout or the bound, late arrivals,
    /// arrivals already held.
    private(set) var releasedInOrder: UInt64 = 0
    private(set) var timeouts: UInt64 = 0
    private(set) var late: UInt64 = 0
    private(set) var duplicates: UInt64 = 0

    init(limit: Int = 256, maximumWait: UInt64 = 50_000_000) {
        self.limit = limit
        self.maximumWait = maximumWait
        storage = .allocate(byteCount: (limit + 1) * ReorderBuffer.stride, alignment: 64)
        physical = Array(0...limit)
        counters = [UInt64](repeating: 0, count: limit + 1)
        predecessors = [UInt64](repeating: 0, count: limit + 1)
        lengths = [Int](repeating: 0, count: limit + 1)
        arrivals = [UInt64](repeating: 0, count: limit + 1)
        sessions = [UInt32](repeating: 0, count: limit + 1)
    }

    deinit { storage.deallocate() }

    /// The predecessor a distance names (0: none to wait for), or nil when the distance is malformed: 0 (not
    /// striped), or naming counter 0 or less.
    @inline(__always)
    static func predecessor(counter: UInt64, distance: UInt8) -> UInt64? {
        if distance == noPredecessor { return 0 }
        guard distance > 0, UInt64(distance) < counter else { return nil }
        return counter - UInt64(distance)
    }

    /// A new striped packet of `session`: `packet` (the inner packet, `length` bytes) with its counter and its
    /// predecessor (0: none). One that follows the last delivered goes at once (it may free held ones: drain
    /// `next`); one that overtook its predecessor is copied and held. A new session starts a new chain; what the old one holds
    /// is released first, in counter order.
    @inline(__always)
    func arrive(_ packet: UnsafeRawPointer, length: Int, counter: UInt64, predecessor: UInt64, session: UInt32,
                now: UInt64) -> Arrival {
        if session != self.session {
            self.session = session
            last = 0
        }
        if counter <= last {
            late += 1
            if gaveUpAt != 0 {  // it came `now - gaveUpAt` after its gap was given up
                learnedWait = min(ReorderBuffer.waitCap,
                                  max(learnedWait, maximumWait &+ (now &- gaveUpAt) &+ ReorderBuffer.lateMargin))
                maximumWait = max(maximumWait, learnedWait)
            }
            return .deliver
        }
        if (predecessor == last && last != 0) || (held == 0 && predecessor == 0) {
            last = counter
            return .deliver
        }
        for i in 0..<held where counters[i] == counter && sessions[i] == session {
            duplicates += 1
            return .held  // already here (the window catches this first): the first copy stands
        }
        guard length <= ReorderBuffer.stride - WireFormat.transportOverhead, held <= limit else {
            late += 1
            return .deliver  // cannot be held: out of order rather than lost
        }
        let entry = held
        (buffer(entry) + WireFormat.transportHeaderSize).copyMemory(from: packet, byteCount: length)
        counters[entry] = counter
        predecessors[entry] = predecessor
        lengths[entry] = length
        arrivals[entry] = now
        sessions[entry] = session
        held += 1
        return .held
    }

    /// Sets the wait from the engine's figure `base` (the links' delay spread and jitter) and what late arrivals
    /// taught (decaying by a quarter per second without one), at most `waitCap`.
    func adapt(base: UInt64, now: UInt64) {
        if now &- decayedAt >= ReorderBuffer.decayInterval {
            decayedAt = now
            learnedWait -= learnedWait / 4
        }
        maximumWait = min(ReorderBuffer.waitCap, max(base, learnedWait))
    }

    /// True when packets are held (the caller then drains `next` after each arrival and at each tick).
    var hasHeld: Bool { held > 0 || releasedEntry >= 0 }

    /// Releases the next held packet that may go now: its buffer (the packet at `WireFormat.transportHeaderSize`)
    /// and length, valid until the next call; nil when every held packet still waits.
    func next(now: UInt64) -> (buffer: UnsafeMutableRawPointer, length: Int)? {
        if releasedEntry >= 0 {
            remove(releasedEntry)
            releasedEntry = -1
        }
        guard held > 0 else { return nil }
        var smallest = -1, oldSession = -1
        for i in 0..<held {
            if sessions[i] != session {
                if oldSession < 0 || counters[i] < counters[oldSession] { oldSession = i }
                continue
            }
            if last != 0 && predecessors[i] == last { return release(i, timedOut: false) }
            if smallest < 0 || counters[i] < counters[smallest] { smallest = i }
        }
        if oldSession >= 0 { return release(oldSession, timedOut: false) }
        if predecessors[smallest] == 0 { return release(smallest, timedOut: false) }
        if held > limit || now &- arrivals[smallest] >= maximumWait { return release(smallest, timedOut: true) }
        return nil
    }

    /// When the oldest held packet times out (ns; .max when nothing is held).
    var nextDeadline: UInt64 {
        guard held > 0 else { return .max }
        var oldest = arrivals[0]
        for i in 1..<held { oldest = min(oldest, arrivals[i]) }
        return oldest &+ maximumWait
    }

    @inline(__always)
    private func buffer(_ entry: Int) -> UnsafeMutableRawPointer { storage + physical[entry] * ReorderBuffer.stride }

    private func release(_ entry: Int, timedOut: Bool) -> (buffer: UnsafeMutableRawPointer, length: Int) {
        if timedOut { timeouts += 1 } else { releasedInOrder += 1 }
        if timedOut, held <= limit { gaveUpAt = arrivals[entry] &+ maximumWait }  // by time, not by the bound
        if sessions[entry] == session { last = max(last, counters[entry]) }
        releasedEntry = entry
        return (buffer(entry), lengths[entry])
    }

    /// Frees `entry`: the last held entry takes its place, and its storage slot joins the free tail.
    private func remove(_ entry: Int) {
        held -= 1
        let freed = physical[entry]
        if entry != held {
            physical[entry] = physical[held]
            counters[entry] = counters[held]
            predecessors[entry] = predecessors[held]
            lengths[entry] = lengths[held]
            arrivals[entry] = arrivals[held]
            sessions[entry] = sessions[held]
        }
        physical[held] = freed
    }
}
