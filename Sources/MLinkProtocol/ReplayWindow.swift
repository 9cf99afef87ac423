/// The de-duplication window, which is also the replay window: each counter value is accepted once.
///
/// A bitmap of `blockCount` x 64 counters slides with the highest counter seen. A copy is new when its bit is
/// clear, a duplicate when set, and too old when it falls behind the window or when its block of 64 counters
/// entered the window more than `maximumAge` ago (so a link that lags by seconds cannot deliver stale media).
/// 1024 blocks = 65536 counters: at 100k packets/s that tolerates 0.65 s of skew between links, and the age
/// bound covers slower rates. Memory: 8 KiB of bits plus 8 KiB of block times, allocated once per session.
///
/// A class over two fixed buffers, not a struct of arrays: a session is copied around as a value, and a copy
/// sharing array storage would make the next `record` copy 16 KiB (copy-on-write) on every packet.
public final class ReplayWindow {
    /// What `check` decided.
    public enum Verdict: Equatable {
        case new
        case duplicate
        case tooOld
    }

    public static let blockCount = 1024
    public static let width: UInt64 = UInt64(blockCount) * 64

    private let bits: UnsafeMutablePointer<UInt64>
    private let blockTimes: UnsafeMutablePointer<UInt64>
    /// Highest counter accepted so far (valid when `started`).
    public private(set) var highest: UInt64 = 0
    private var started = false
    /// Nanoseconds after which a block is too old.
    public let maximumAge: UInt64

    public init(maximumAge: UInt64 = 2_000_000_000) {
        bits = .allocate(capacity: ReplayWindow.blockCount)
        bits.initialize(repeating: 0, count: ReplayWindow.blockCount)
        blockTimes = .allocate(capacity: ReplayWindow.blockCount)
        blockTimes.initialize(repeating: 0, count: ReplayWindow.blockCount)
        self.maximumAge = maximumAge
    }

    deinit {
        bits.deallocate()
        blockTimes.deallocate()
    }

    /// Tells whether `counter` would be new, without recording it (call before authentication succeeds).
    @inline(__always)
    public func check(_ counter: UInt64, now: UInt64) -> Verdict {
        if !started || counter > highest { return .new }
        if highest - counter >= ReplayWindow.width - 64 { return .tooOld }
        let block = Int((counter >> 6) & UInt64(ReplayWindow.blockCount - 1))
        if now &- blockTimes[block] > maximumAge { return .tooOld }
        return bits[block] & (1 << (counter & 63)) != 0 ? .duplicate : .new
    }

    /// Records `counter` as seen. Call only after the packet authenticated and `check` said `.new`.
    @inline(__always)
    public func record(_ counter: UInt64, now: UInt64) {
        let block = counter >> 6
        if !started {
            started = true
            highest = counter
            // Counters behind the first one were never seen: their blocks start now, not at time zero.
            blockTimes.update(repeating: now, count: ReplayWindow.blockCount)
        } else if counter > highest {
            let currentBlock = highest >> 6
            // A block ages from the last time the newest counter moved within or past it, not from when it
            // entered: at 10 packets/s a block spans 6.4 s, and a copy 5 ms behind the newest is not stale.
            blockTimes[Int(currentBlock & UInt64(ReplayWindow.blockCount - 1))] = now
            let advance = min(block - currentBlock, UInt64(ReplayWindow.blockCount))
            var i: UInt64 = 1
            while i <= advance {
                let b = Int((currentBlock + i) & UInt64(ReplayWindow.blockCount - 1))
                bits[b] = 0
                blockTimes[b] = now
                i += 1
            }
            highest = counter
        }
        bits[Int(block & UInt64(ReplayWindow.blockCount - 1))] |= 1 << (counter & 63)
    }
}
