import MLinkControl

/// The FEEDBACK body (control kind 34, PROTOCOL.md section 14.3): the highest counter received, NACK ranges of
/// counters judged lost, and per-path summaries. Parsing validates the whole body in place and reads fields on
/// demand, so neither side allocates.
public struct FeedbackMessage {
    /// The control kind.
    public static let kind: UInt8 = 34
    public static let fixedSize = 12
    public static let rangeSize = 6
    public static let summarySize = 16
    public static let maximumRanges = 32
    public static let maximumSummaries = 16
    /// The largest body: 460 bytes, within the control channel's 1200.
    public static let maximumSize = fixedSize + maximumRanges * rangeSize + maximumSummaries * summarySize

    /// A run of NACKed counters, `first ... first + count - 1`.
    public struct Range: Equatable, Sendable {
        public var first: UInt64
        public var count: Int
        public init(first: UInt64, count: Int) {
            self.first = first
            self.count = count
        }
    }

    /// One path's summary, as the receiver of its data saw it.
    public struct PathSummary: Equatable, Sendable {
        /// The data sender's own id for the path.
        public var pathID: UInt16
        /// Recent loss towards the receiver, 0...1 (carried as a u16 fraction of 65535).
        public var loss: Double
        public var highestSequence: UInt32
        /// Milliseconds since the last authentic message on the path (saturated).
        public var silenceMilliseconds: UInt16
        /// Messages per second since the previous FEEDBACK (saturated).
        public var rate: UInt16
        /// Messages received on the path (wrapping).
        public var received: UInt32

        public init(pathID: UInt16, loss: Double, highestSequence: UInt32, silenceMilliseconds: UInt16, rate: UInt16,
                    received: UInt32) {
            self.pathID = pathID
            self.loss = loss
            self.highestSequence = highestSequence
            self.silenceMilliseconds = silenceMilliseconds
            self.rate = rate
            self.received = received
        }
    }

    private let body: UnsafeRawPointer
    /// The highest session counter the receiver had when it sent this.
    public let highest: UInt64
    public let rangeCount: Int
    public let summaryCount: Int

    /// Validates `length` bytes at `body`; nil when malformed (every rule of PROTOCOL.md 14.3).
    public init?(body: UnsafeRawPointer, length: Int) {
        guard length >= FeedbackMessage.fixedSize else { return nil }
        let bytes = body.assumingMemoryBound(to: UInt8.self)
        let r = Int(bytes[8]), s = Int(bytes[9])
        guard r <= FeedbackMessage.maximumRanges, s <= FeedbackMessage.maximumSummaries, bytes[10] == 0, bytes[11] == 0,
              length == FeedbackMessage.fixedSize + r * FeedbackMessage.rangeSize + s * FeedbackMessage.summarySize
        else { return nil }
        let highest = LE.u64(body, 0)
        var previousEnd: UInt64 = 0  // one past the last counter of the previous range (0: none yet)
        for i in 0..<r {
            let offset = FeedbackMessage.fixedSize + i * FeedbackMessage.rangeSize
            let back = UInt64(LE.u32(body, offset)), count = UInt64(LE.u16(body, offset + 4))
            guard back >= 1, count >= 1, count <= back, back < highest else { return nil }
            let first = highest - back
            guard previousEnd == 0 || first > previousEnd else { return nil }
            previousEnd = first + count
        }
        self.body = body
        self.highest = highest
        rangeCount = r
        summaryCount = s
    }

    /// NACK range `i` (0 ..< rangeCount).
    public func range(_ i: Int) -> Range {
        let offset = FeedbackMessage.fixedSize + i * FeedbackMessage.rangeSize
        return Range(first: highest - UInt64(LE.u32(body, offset)), count: Int(LE.u16(body, offset + 4)))
    }

    /// True when `counter` lies in a NACK range.
    public func isNacked(_ counter: UInt64) -> Bool {
        for i in 0..<rangeCount {
            let r = range(i)
            if counter >= r.first && counter < r.first + UInt64(r.count) { return true }
        }
        return false
    }

    /// How many counters the ranges NACK.
    public var nackedCount: Int {
        var total = 0
        for i in 0..<rangeCount { total += range(i).count }
        return total
    }

    /// Path summary `j` (0 ..< summaryCount).
    public func summary(_ j: Int) -> PathSummary {
        let offset = FeedbackMessage.fixedSize + rangeCount * FeedbackMessage.rangeSize + j * FeedbackMessage.summarySize
        return PathSummary(pathID: LE.u16(body, offset), loss: Double(LE.u16(body, offset + 2)) / 65535,
                           highestSequence: LE.u32(body, offset + 4), silenceMilliseconds: LE.u16(body, offset + 8),
                           rate: LE.u16(body, offset + 10), received: LE.u32(body, offset + 12))
    }

    // MARK: Writing

    /// Writes the fixed part at `body`: `highest`, `ranges` ranges and `summaries` summaries to follow.
    @inline(__always)
    static func writeHead(_ body: UnsafeMutableRawPointer, highest: UInt64, ranges: Int, summaries: Int) {
        LE.put(body, 0, highest)
        let bytes = body.assumingMemoryBound(to: UInt8.self)
        bytes[8] = UInt8(ranges)
        bytes[9] = UInt8(summaries)
        bytes[10] = 0
        bytes[11] = 0
    }

    /// Writes range `i` (`first`, `count`, below `highest`); the caller keeps the ranges ascending and apart.
    @inline(__always)
    static func writeRange(_ body: UnsafeMutableRawPointer, index i: Int, highest: UInt64, first: UInt64, count: Int) {
        let offset = fixedSize + i * rangeSize
        LE.put(body, offset, UInt32(truncatingIfNeeded: highest - first))
        LE.put(body, offset + 4, UInt16(count))
    }

    /// Writes summary `j` after `ranges` ranges.
    @inline(__always)
    static func writeSummary(_ body: UnsafeMutableRawPointer, index j: Int, ranges: Int, _ summary: PathSummary) {
        let offset = fixedSize + ranges * rangeSize + j * summarySize
        LE.put(body, offset, summary.pathID)
        LE.put(body, offset + 2, UInt16((min(max(summary.loss, 0), 1) * 65535).rounded()))
        LE.put(body, offset + 4, summary.highestSequence)
        LE.put(body, offset + 8, summary.silenceMilliseconds)
        LE.put(body, offset + 10, summary.rate)
        LE.put(body, offset + 12, summary.received)
    }

    /// The body for `highest`, `ranges` and `summaries` (tests and tools; allocates). Ranges must be ascending,
    /// at least one counter apart, each of 1...65535 counters within 2^32 - 1 below `highest`.
    public static func encode(highest: UInt64, ranges: [Range], summaries: [PathSummary]) -> [UInt8] {
        precondition(ranges.count <= maximumRanges && summaries.count <= maximumSummaries)
        var body = [UInt8](repeating: 0, count: fixedSize + ranges.count * rangeSize + summaries.count * summarySize)
        body.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!
            writeHead(base, highest: highest, ranges: ranges.count, summaries: summaries.count)
            for (i, range) in ranges.enumerated() {
                writeRange(base, index: i, highest: highest, first: range.first, count: range.count)
            }
            for (j, summary) in summaries.enumerated() { writeSummary(base, index: j, ranges: ranges.count, summary) }
        }
        return body
    }
}
