import MLinkConfig
import MLinkDaemon
import MLinkNetlink

extension MLinkCommand.Check {
    /// A router's `allowed-routes` entry inside one of its link networks as they are now can never be accepted:
    /// `check` reports it as a profile error (FILE:LINE:COL: key), like the problems the loader finds.
    static func checkAllowedRoutes(_ profile: Profile, interface: String) throws {
        guard profile.role == .router, profile.peers.contains(where: { !$0.allowedRoutes.isEmpty }),
              let netlink = try? RouteNetlink(),
              let links = try? LinkInventory.usableLinks(patterns: profile.links, excluding: interface, netlink: netlink)
        else { return }
        if let problem = profile.allowedRoutesProblem(linkNetworks: links.map { ($0.name, $0.network) }) { throw problem }
    }
}
