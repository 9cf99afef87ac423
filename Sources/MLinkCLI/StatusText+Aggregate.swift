import MLinkControl

extension StatusText {
    /// One line per peer that aggregate mode striped to or received striped packets from, then one per link the
    /// sender estimated.
    static func aggregateLines(_ reports: [AggregateReport]) -> String {
        reports.map { r in
            "  aggregate \(r.peer): \(r.striped) striped, \(r.pacingDrops) pacing drops; reorder: \(r.reorderWaited) waited, "
                + "\(r.reorderTimeouts) timeouts, \(r.reorderLate) late, wait \(r.reorderWaitMilliseconds) ms\n"
                + r.links.map { l in
                    "    link \(l.link): capacity \(megabits(l.capacityBitsPerSecond)), carried \(megabits(l.rateBitsPerSecond)), "
                        + "delivered \(megabits(l.deliveredBitsPerSecond)), queue \(l.queueMilliseconds) ms, "
                        + "delay \(l.delayMilliseconds) ms\n"
                }.joined()
        }.joined()
    }

    private static func megabits(_ bitsPerSecond: Double) -> String {
        "\((bitsPerSecond / 1e4).rounded() / 100) Mbit/s"
    }
}
