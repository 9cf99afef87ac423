import MLinkControl

/// Several routers (issue 16) in the text form of `show`.
extension StatusText {
    /// `  current router: r1, 2 switches, last 12 seconds ago, hold-down 30 s` on a host with several routers.
    static func routerChoiceLine(_ report: StatusReport, wallNow: Double) -> String {
        guard let choice = report.routerChoice else { return "" }
        var line = "  current router: \(choice.current), \(choice.switches) switches"
        if let last = choice.lastSwitch { line += ", last \(ago(wallNow - last))" }
        return line + ", hold-down \(fixed(choice.holdDown, digits: 0)) s\n"
    }

    /// `  mesh: router, dialled, preference 10, standby, live 41 s` (a router peer), `  mesh: host, prefers this
    /// router` (a router's host).
    static func meshLine(_ peer: PeerReport) -> String {
        guard let mesh = peer.mesh else { return "" }
        var parts = [mesh.role, mesh.dialled ? "dialled" : "answered"]
        if let preference = mesh.preference { parts.append("preference \(preference)") }
        if let current = mesh.current { parts.append(current ? "current" : "standby") }
        if mesh.current != nil { parts.append(mesh.liveFor.map { "live \(fixed($0, digits: 0)) s" } ?? "not live") }
        if let preferred = mesh.preferred { parts.append(preferred ? "sends through this router" : "sends through another router") }
        return "  mesh: \(parts.joined(separator: ", "))\n"
    }
}
