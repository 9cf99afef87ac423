/// The receiver's reorder buffer for one peer's striped data packets (PROTOCOL.md section 16).
///
/// Striped packets form one chain per session: each names its predecessor by the stripe distance (byte 1 of its
/// header). A packet whose predecessor was the last one delivered goes at once, without a copy; one that overtook
/// its predecessor is copied into a preallocated slot and held until the gap fills or until it has waited
/// `maximumWait`: the buffer is bounded by time. Its room is a byte budget (`bytes`, in slots of `stride`), sized
/// so that the longest wait fits at any rate the links carry (4 MiB: 50 ms at about 600 Mbit/s of full-size
/// packets); a gap is given up for room (`boundReleases`) only beyond that. Nothing allocates after `init`.
///
/// Held packets are indexed by their predecessor's counter (a ring of `span` keys): the packet that follows the
/// last delivered one is one lookup, and the smallest held counter (the next gap to give up) is found by a cursor
/// that only moves forward with `last`, so each packet costs O(1) however many are held.
///
/// A gap is given up before its wait when it is surely a loss: each path delivers in counter order, so once every
/// path that carried striped packets in the last second (`paths`) has delivered a later counter than the missing
/// one (the engine passes the lowest of their highest counters to `next`), the missing packet is not on its way
/// (`lossReleases`). The wait is for the rest: a path that went quiet, or a packet reordered on its own path.
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
    static let waitCap: UInt64 = 100_000_000
    static let lateMargin: UInt64 = 2_000_000
    static let decayInterval: UInt64 = 1_000_000_000
    /// The default byte budget: 2048 slots.
    static let defaultBytes = 4 << 20
    /// Counters the index covers past `last` (a power of two); a predecessor beyond it restarts the chain.
    static let span = 1 << 15
    /// Slots beyond the budget: a receive batch's worth of arrivals before the caller drains `next`.
    static let batchRoom = 64
    /// Paths (a peer's connection indices) whose striped arrivals are remembered, and for how long one counts.
    static let paths = 16
    static let pathHold: UInt64 = 1_000_000_000

    /// Packets held at most before the oldest gap is given up for room (`bytes / stride`).
    let limit: Int
    /// How long a held packet waits for its predecessor (ns); the engine sets it from the links' delays.
    var maximumWait: UInt64
    private let storage: UnsafeMutableRawPointer
    private let slots: Int
    // Per storage slot: its packet's counter, predecessor (0: none), length and arrival.
    private var counters: [UInt64]
    private var predecessors: [UInt64]
    private var lengths: [Int]
    private var arrivals: [UInt64]
    /// Free slots (a stack).
    private var free: [Int32]
    private var freeCount: Int
    /// The index: key `predecessor & (span - 1)` holds the slot of the held packet with that predecessor (-1).
    private var index: [Int32]
    /// Slots given up or in order but not yet returned by `next` (a FIFO ring of `slots` entries): a chain
    /// restart or a new session releases what was held before it ahead of itself.
    private var queue: [Int32]
    private var queueHead = 0
    private var queueCount = 0
    /// Packets in the index (not counting the queue).
    private(set) var held = 0
    /// No held packet has a predecessor below this (a key cursor, at least `last + 1`).
    private var cursor: UInt64 = 1
    /// The counter of the last striped packet delivered in `session` (0: none yet).
    private(set) var last: UInt64 = 0
    /// The session (receiver index) the chain belongs to.
    private(set) var session: UInt32 = 0
    /// The slot `next` released last: its packet stays valid until the next call.
    private var releasedSlot = -1
    /// The wait late arrivals asked for (ns; 0: none), when the last gap was given up by time (0: never) and
    /// when the learned wait last decayed.
    private(set) var learnedWait: UInt64 = 0
    private var gaveUpAt: UInt64 = 0
    private var decayedAt: UInt64 = 0

    /// When each path (connection index < `paths`) last delivered a striped packet (0: never); a path beyond
    /// them, or none, turns the loss evidence off until it is a second old.
    private(set) var stripedAt = [UInt64](repeating: 0, count: ReorderBuffer.paths)
    private(set) var unknownPathAt: UInt64 = 0

    /// Counters for show: released in order after waiting, gaps given up (by the wait, for room, or as losses
    /// every path had passed), of those for room, of those as losses, late arrivals, arrivals already held.
    private(set) var releasedInOrder: UInt64 = 0
    private(set) var timeouts: UInt64 = 0
    private(set) var boundReleases: UInt64 = 0
    private(set) var lossReleases: UInt64 = 0
    private(set) var late: UInt64 = 0
    private(set) var duplicates: UInt64 = 0

    init(bytes: Int = ReorderBuffer.defaultBytes, maximumWait: UInt64 = 50_000_000) {
        limit = max(1, bytes / ReorderBuffer.stride)
        slots = limit + ReorderBuffer.batchRoom
        self.maximumWait = maximumWait
        storage = .allocate(byteCount: slots * ReorderBuffer.stride, alignment: 64)
        counters = [UInt64](repeating: 0, count: slots)
        predecessors = [UInt64](repeating: 0, count: slots)
        lengths = [Int](repeating: 0, count: slots)
        arrivals = [UInt64](repeating: 0, count: slots)
        free = (0..<slots).reversed().map { Int32($0) }
        freeCount = slots
        index = [Int32](repeating: -1, count: ReorderBuffer.span)
        queue = [Int32](repeating: -1, count: slots)
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
    /// `next`); one that overtook its predecessor is copied and held. One with no predecessor, or one beyond the
    /// index's span, restarts the chain after what is held below it; a new session starts a new chain after
    /// what the old one held, in counter order.
    @inline(__always)
    func arrive(_ packet: UnsafeRawPointer, length: Int, counter: UInt64, predecessor: UInt64, session: UInt32,
                path: Int, now: UInt64) -> Arrival {
        if path >= 0, path < ReorderBuffer.paths { stripedAt[path] = now } else { unknownPathAt = now }
        if session != self.session {
            giveUp(below: .max)  // the old chain, in counter order, ahead of the new one
            self.session = session
            last = 0
            cursor = 1
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
        let restart = predecessor == 0 || predecessor < last || predecessor - last >= UInt64(ReorderBuffer.span)
        if restart { giveUp(below: counter) }
        if restart || (predecessor == last && last != 0) {
            last = counter
            cursor = max(cursor, counter &+ 1)
            return queueCount == 0 ? .deliver : enqueue(packet, length: length, counter: counter, now: now)
        }
        let key = Int(truncatingIfNeeded: predecessor) & (ReorderBuffer.span - 1)
        let existing = Int(index[key])
        if existing >= 0 {
            guard counters[existing] != counter else {
                duplicates += 1
                return .held  // already here (the window catches this first): the first copy stands
            }
            late += 1
            return .deliver  // another packet claims the same predecessor (not a sender's chain): out of order
        }
        guard length <= ReorderBuffer.stride - WireFormat.transportOverhead, freeCount > 0 else {
            late += 1
            if freeCount == 0 { boundReleases += 1 }
            return .deliver  // cannot be held: out of order rather than lost
        }
        let slot = store(packet, length: length, counter: counter, predecessor: predecessor, now: now)
        index[key] = Int32(slot)
        held += 1
        cursor = min(cursor, predecessor)
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
    var hasHeld: Bool { held > 0 || queueCount > 0 || releasedSlot >= 0 }

    /// True when the loss evidence may be used: no striped packet came on a path it does not follow for a second.
    func followsPaths(now: UInt64) -> Bool { unknownPathAt == 0 || now &- unknownPathAt >= ReorderBuffer.pathHold }

    /// True when `path` delivered a striped packet within the last second (its highest counter then bounds what
    /// may still come).
    @inline(__always)
    func isStriping(path: Int, now: UInt64) -> Bool {
        path < ReorderBuffer.paths && stripedAt[path] != 0 && now &- stripedAt[path] < ReorderBuffer.pathHold
    }

    /// Releases the next held packet that may go now: its buffer (the packet at `WireFormat.transportHeaderSize`)
    /// and length, valid until the next call; nil when every held packet still waits. `passed`: the lowest of the
    /// highest counters the striping paths delivered (0: no evidence); a gap below it is a loss.
    func next(now: UInt64, passed: UInt64 = 0) -> (buffer: UnsafeMutableRawPointer, length: Int)? {
        if releasedSlot >= 0 {
            free[freeCount] = Int32(releasedSlot)
            freeCount += 1
            releasedSlot = -1
        }
        if queueCount > 0 {
            let slot = Int(queue[queueHead])
            queueHead = queueHead + 1 == slots ? 0 : queueHead + 1
            queueCount -= 1
            return release(slot)
        }
        guard held > 0 else { return nil }
        if last != 0, let slot = take(key: last) {  // the gap before it filled
            releasedInOrder += 1
            last = counters[slot]
            return release(slot)
        }
        guard let smallest = smallestKey() else { return nil }
        let slot = Int(index[Int(truncatingIfNeeded: smallest) & (ReorderBuffer.span - 1)])
        let full = held > limit
        let lost = smallest < passed  // every striping path delivered a counter after the missing one
        guard full || lost || now &- arrivals[slot] >= maximumWait else { return nil }
        _ = take(key: smallest)
        timeouts += 1
        if full { boundReleases += 1 } else if lost { lossReleases += 1 } else { gaveUpAt = arrivals[slot] &+ maximumWait }
        last = counters[slot]
        return release(slot)
    }

    /// When the smallest held counter's gap is given up (ns; .max when nothing is held).
    var nextDeadline: UInt64 {
        guard held > 0, let key = smallestKey() else { return .max }
        return arrivals[Int(index[Int(truncatingIfNeeded: key) & (ReorderBuffer.span - 1)])] &+ maximumWait
    }

    /// The smallest predecessor held: the cursor moves to it, past keys that hold nothing (nil: none held). A
    /// sender's chain keeps every held predecessor within `span` above `last`; should one not be (a chain no
    /// sender makes), the index is emptied rather than searched forever: its packets are dropped, counted late.
    @inline(__always)
    private func smallestKey() -> UInt64? {
        guard held > 0 else { return nil }
        if cursor <= last { cursor = last &+ 1 }
        for _ in 0..<ReorderBuffer.span {
            let slot = Int(index[Int(truncatingIfNeeded: cursor) & (ReorderBuffer.span - 1)])
            if slot >= 0, predecessors[slot] == cursor { return cursor }
            cursor &+= 1
        }
        for k in 0..<ReorderBuffer.span where index[k] >= 0 {
            free[freeCount] = index[k]
            freeCount += 1
            index[k] = -1
            late += 1
        }
        held = 0
        return nil
    }

    /// Removes and returns the held packet whose predecessor is `key`, if any.
    @inline(__always)
    private func take(key: UInt64) -> Int? {
        let k = Int(truncatingIfNeeded: key) & (ReorderBuffer.span - 1)
        let slot = Int(index[k])
        guard slot >= 0, predecessors[slot] == key else { return nil }
        index[k] = -1
        held -= 1
        return slot
    }

    /// Gives up every gap below `counter`: the held packets before it join the queue in counter order.
    private func giveUp(below counter: UInt64) {
        while let key = smallestKey() {
            let slot = Int(index[Int(truncatingIfNeeded: key) & (ReorderBuffer.span - 1)])
            guard counters[slot] < counter else { return }
            _ = take(key: key)
            if predecessors[slot] != last { timeouts += 1 } else { releasedInOrder += 1 }
            last = counters[slot]
            queue[(queueHead + queueCount) % slots] = Int32(slot)
            queueCount += 1
        }
    }

    /// Copies a packet that goes in order but behind the queue into a slot at the queue's tail.
    private func enqueue(_ packet: UnsafeRawPointer, length: Int, counter: UInt64, now: UInt64) -> Arrival {
        guard length <= ReorderBuffer.stride - WireFormat.transportOverhead, freeCount > 0 else {
            late += 1
            return .deliver
        }
        let slot = store(packet, length: length, counter: counter, predecessor: 0, now: now)
        queue[(queueHead + queueCount) % slots] = Int32(slot)
        queueCount += 1
        return .held
    }

    @inline(__always)
    private func store(_ packet: UnsafeRawPointer, length: Int, counter: UInt64, predecessor: UInt64,
                       now: UInt64) -> Int {
        freeCount -= 1
        let slot = Int(free[freeCount])
        (storage + slot * ReorderBuffer.stride + WireFormat.transportHeaderSize).copyMemory(from: packet, byteCount: length)
        counters[slot] = counter
        predecessors[slot] = predecessor
        lengths[slot] = length
        arrivals[slot] = now
        return slot
    }

    @inline(__always)
    private func release(_ slot: Int) -> (buffer: UnsafeMutableRawPointer, length: Int) {
        releasedSlot = slot
        return (storage + slot * ReorderBuffer.stride, lengths[slot])
    }
}
