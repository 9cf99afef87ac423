import ArgumentParser
import MLinkConfig
import MLinkDaemon
import MLinkSetup

extension MLinkCommand {
    /// `mlink check PROFILE`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a profile and print what `up` would do, touching nothing.")

        @Argument(help: "Profile name (/etc/mlink/NAME.yaml) or path to a .yaml file.",
                  completion: .shellCommand(MLinkCommand.profileNamesCommand))
        var profile: String

        func run() throws {
            do {
                let loaded = try loadProfile(profile)
                let plan = SetupPlan.current(for: loaded)
                try Self.checkAllowedRoutes(loaded, interface: plan.interface)
                let routers = try Self.checkRouters(loaded)  // Check+Routers.swift
                print("\(loaded.path): ok (\(loaded.role.rawValue) \(loaded.name), mode \(loaded.mode.rawValue))")
                plan.annotatedCommands.forEach { print($0) }
                let links = loaded.links.isEmpty ? "every interface with an address" : loaded.links.joined(separator: ", ")
                print("links: \(links)\(plan.links.isEmpty ? "" : " (present now: \(plan.links.joined(separator: ", ")))")")
                if let router = loaded.router {
                    print("router: \(router.endpoints.map(\.description).joined(separator: ", ")) (virtual \(router.virtualIP))")
                } else {
                    print("listening on UDP port \(loaded.listenPort ?? 7000) on each link; peers: \(loaded.peers.map(\.name).joined(separator: ", "))")
                }
                routers.forEach { print($0) }
                let routing = SourceRouting.preview(for: loaded, interface: plan.interface)
                if !routing.isEmpty { print("per-link source routing, installed by the core as links come and go:") }
                routing.forEach { print($0) }
            } catch {
                throw reportFailure(error)
            }
        }
    }
}
