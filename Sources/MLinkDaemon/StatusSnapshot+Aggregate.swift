import MLinkControl
import MLinkProtocol

extension StatusSnapshot {
    /// Each peer's aggregate counts, for the peers that striped or received striped packets.
    static func aggregateStatus(engine: TunnelEngine) -> [AggregateReport] {
        engine.peers.indices.compactMap { index in
            let counts = engine.aggregateCounts(peer: index)
            guard counts.active else { return nil }
            return AggregateReport(peer: engine.peers[index].name, striped: counts.striped, pacingDrops: counts.pacingDrops,
                                   reorderWaited: counts.reordered, reorderTimeouts: counts.timeouts,
                                   reorderLate: counts.late)
        }
    }
}
