import MLinkControl
import MLinkProtocol

extension StatusSnapshot {
    /// Each peer's aggregate counts, for the peers that striped or received striped packets, with the sender's
    /// estimate per link and the reorder buffer's wait.
    static func aggregateStatus(engine: TunnelEngine, now: UInt64) -> [AggregateReport] {
        engine.peers.indices.compactMap { index in
            let counts = engine.aggregateCounts(peer: index)
            guard counts.active else { return nil }
            let links = engine.aggregateLinks(peer: index, now: now).map {
                AggregateLinkReport(link: $0.link, capacityBitsPerSecond: ($0.capacity * 8).rounded(),
                                    rateBitsPerSecond: ($0.rate * 8).rounded(), deliveredBitsPerSecond: ($0.delivered * 8).rounded(),
                                    queueMilliseconds: milliseconds($0.queue), delayMilliseconds: milliseconds($0.delay))
            }
            return AggregateReport(peer: engine.peers[index].name, striped: counts.striped, pacingDrops: counts.pacingDrops,
                                   reorderWaited: counts.reordered, reorderTimeouts: counts.timeouts,
                                   reorderBound: counts.bound, reorderLost: counts.lost,
                                   reorderLate: counts.late, reorderWaitMilliseconds: milliseconds(engine.reorderWait(peer: index)),
                                   links: links)
        }
    }
}
