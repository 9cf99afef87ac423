import MLinkControl

extension StatusText {
    /// The `routes:` block: announcements with verdicts, distributed routes (installed or why not), shared
    /// prefixes with primary and standbys, and the kernel routes mlink holds. Empty without a routes report.
    static func routes(_ report: RoutesReport?) -> String {
        guard let report else { return "" }
        var out = "\nroutes:\n"
        if !report.announcements.isEmpty {
            out += "  announcements:\n"
            out += table(report.announcements.map { a in
                (a.peer.isEmpty ? [] : [a.peer]) + [a.prefix, "preference \(a.preference)" + (a.whileRoute ? " while-route" : ""),
                                                    a.verdict]
            }).map { "    \($0)\n" }.joined()
        }
        if !report.distributed.isEmpty {
            out += "  distributed:\n"
            out += table(report.distributed.map { [$0.prefix + ($0.pushed ? " (pushed)" : ""), $0.detail] })
                .map { "    \($0)\n" }.joined()
        }
        if !report.shared.isEmpty {
            out += "  shared prefixes:\n"
            out += table(report.shared.map {
                [$0.prefix, "primary \($0.primary)", "standby " + ($0.standbys.isEmpty ? "none" : $0.standbys.joined(separator: ", ")),
                 "failovers \($0.failovers)"]
            }).map { "    \($0)\n" }.joined()
        }
        if !report.kernel.isEmpty {
            out += "  kernel: \(report.kernel.joined(separator: ", "))\n"
        }
        let refused = report.refused.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        out += "  active: \(report.active), failovers: \(report.failovers)"
            + (refused.isEmpty ? "" : ", refused: \(refused.joined(separator: ", "))") + "\n"
        return out
    }
}
