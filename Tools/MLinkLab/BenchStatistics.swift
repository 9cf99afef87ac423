import Foundation

/// One datagram as the receiver logged it (scripts/avstream.py): which run and stream, its sequence number,
/// and its send and receive times (CLOCK_MONOTONIC ns, one clock for every namespace).
struct StreamRecord: Equatable {
    var run: String
    /// 0 audio, 1 video.
    var stream: Int
    var sequence: Int
    var sentAt: Int64
    var receivedAt: Int64

    /// Parses the receiver's lines `RUN STREAM SEQ SEND_NS RECV_NS`; malformed lines are skipped.
    static func parse(_ text: String) -> [StreamRecord] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 5, let stream = Int(fields[1]), let sequence = Int(fields[2]),
                  let sent = Int64(fields[3]), let received = Int64(fields[4]) else { return nil }
            return StreamRecord(run: String(fields[0]), stream: stream, sequence: sequence, sentAt: sent,
                                receivedAt: received)
        }
    }
}

/// What one stream of one run delivered: the figures of the benchmark's table.
struct StreamStatistics: Codable, Equatable {
    var sent = 0
    /// Sent and never received.
    var lost = 0
    /// Received, but after the deadline.
    var late = 0
    /// Copies received beyond the first.
    var duplicates = 0
    /// First copies that arrived after a higher sequence number had.
    var reordered = 0
    /// Received in time, over sent.
    var availability = 0.0
    var p50Ms: Double?
    var p95Ms: Double?
    var p99Ms: Double?
    var maxMs: Double?
    /// The longest run of consecutive packets not delivered in time.
    var longestGapPackets = 0
    /// Send-time span of that run: from the last packet in time before it to the first after it.
    var longestGapMs = 0.0
    /// Mean of (delay - the fastest live link's fixed delay at send time) over packets in time; nil without an ideal.
    var excessOverIdealMs: Double?

    /// Computes the figures for `records` of one stream, `sent` packets sent, first packet at `start`.
    /// `idealDelay(t)` is the fastest live link's delay at `t` seconds after `start`.
    static func compute(_ records: [StreamRecord], sent: Int, deadline: Double, start: Int64,
                        idealDelay: (Double) -> Double?) -> StreamStatistics {
        var statistics = StreamStatistics(sent: sent)
        var firstDelay = [Double?](repeating: nil, count: sent)
        var sentAt = [Int64?](repeating: nil, count: sent)
        var highest = -1
        for record in records.sorted(by: { $0.receivedAt < $1.receivedAt }) where record.sequence < sent {
            if firstDelay[record.sequence] != nil {
                statistics.duplicates += 1
                continue
            }
            firstDelay[record.sequence] = Double(record.receivedAt - record.sentAt) / 1e6
            sentAt[record.sequence] = record.sentAt
            if record.sequence < highest { statistics.reordered += 1 }
            highest = max(highest, record.sequence)
        }
        let delays = firstDelay.compactMap { $0 }.sorted()
        statistics.lost = sent - delays.count
        statistics.late = delays.filter { $0 > deadline * 1000 }.count
        statistics.availability = sent > 0 ? Double(delays.count - statistics.late) / Double(sent) : 0
        func percentile(_ p: Double) -> Double? {
            delays.isEmpty ? nil : delays[min(delays.count - 1, Int(p / 100 * Double(delays.count)))]
        }
        statistics.p50Ms = percentile(50)
        statistics.p95Ms = percentile(95)
        statistics.p99Ms = percentile(99)
        statistics.maxMs = delays.last
        var run = 0, lastOnTime: Int64?
        var excess = 0.0, excessCount = 0
        for sequence in 0..<sent {
            if let delay = firstDelay[sequence], delay <= deadline * 1000, let at = sentAt[sequence] {
                if run > 0 && run >= statistics.longestGapPackets, let lastOnTime {
                    statistics.longestGapPackets = run
                    statistics.longestGapMs = Double(at - lastOnTime) / 1e6
                }
                run = 0
                lastOnTime = at
                if let ideal = idealDelay(Double(at - start) / 1e9) {
                    excess += delay - ideal * 1000
                    excessCount += 1
                }
            } else {
                run += 1
            }
        }
        if run > statistics.longestGapPackets { statistics.longestGapPackets = run }
        statistics.excessOverIdealMs = excessCount > 0 ? excess / Double(excessCount) : nil
        return statistics
    }

    /// Both streams together, for the checks (delays and gaps are not merged: nil and 0).
    static func combined(_ parts: [StreamStatistics]) -> StreamStatistics {
        var total = StreamStatistics()
        for part in parts {
            total.sent += part.sent
            total.lost += part.lost
            total.late += part.late
            total.duplicates += part.duplicates
            total.reordered += part.reordered
        }
        total.availability = total.sent > 0 ? Double(total.sent - total.lost - total.late) / Double(total.sent) : 0
        return total
    }
}
