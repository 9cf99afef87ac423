import MLinkControl

extension StatusText {
    /// One line per peer that aggregate mode striped to or received striped packets from.
    static func aggregateLines(_ reports: [AggregateReport]) -> String {
        reports.map { r in
            "  aggregate \(r.peer): \(r.striped) striped, \(r.pacingDrops) pacing drops; reorder: \(r.reorderWaited) waited, "
                + "\(r.reorderTimeouts) timeouts, \(r.reorderLate) late\n"
        }.joined()
    }
}
