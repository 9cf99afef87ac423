import MLinkControl

extension StatusText {
    /// The `imported routes:` block of a router with router peers: each route read back from the kernel with the
    /// router it goes through, each refused one with its reason, and the refusal counters. Empty without a report.
    static func imports(_ report: ImportsReport?) -> String {
        guard let report else { return "" }
        var out = "\nimported routes:\n"
        out += table(report.imported.map {
            [$0.prefix, "via \($0.router) (\($0.gateway))", "proto \($0.proto)", "metric \($0.metric)"]
        }).map { "  \($0)\n" }.joined()
        out += table(report.refusedRoutes.map {
            [$0.prefix, "via \($0.gateway)", "proto \($0.proto)", "refused: \($0.reason)"]
        }).map { "  \($0)\n" }.joined()
        let refused = report.refusedTotal.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        out += "  imported: \(report.imported.count)" + (refused.isEmpty ? "" : ", refused: \(refused.joined(separator: ", "))")
            + "\n"
        return out
    }
}
