import MLinkConfig
import MLinkNetlink
import MLinkProtocol
import MLinkRoutes
import MLinkTypes

/// The metric of a host's /32 (/128) on a router (issue 16 items 2 and 4): the kernel's default on the router the
/// host prefers (and for a host that never said, such as one with a single router), one more on its other routers.
/// BIRD's kernel protocol reads it as `krt_metric` and the shipped filter turns it into the MED
/// (examples/bird/mlink-common.conf), so the other routers send to the preferred router.
///
/// When a host's PREFERRED changes, its /32s are put back with the new metric before the old ones go (make before
/// break: BIRD announces the lowest metric it sees, so the route never leaves BGP on the way).
extension ForwardingCore {
    /// The metric for `peer`'s host routes here, as an IPv4 metric (an IPv6 route gets 1024 plus it); nil is the
    /// kernel's default.
    func hostRouteMetric(of peer: Int) -> UInt32? {
        engine.peers[peer].preferred == false ? HostRouteMetric.metric(base: 0, preferred: false) : nil
    }

    /// PREFERRED from `peer` changed (hook of `notePreferred`): its host routes move to the new metric.
    func applyHostRouteMetric(of peer: Int) {
        let metric = hostRouteMetric(of: peer)
        let previous = routeAgent.hostRouteMetrics[peer] ?? nil
        guard metric != previous else { return }
        routeAgent.hostRouteMetrics[peer] = metric
        let prefixes = Set(routeAgent.hostRoutes[peer] ?? [])
        guard !prefixes.isEmpty else { return }
        var added = Set<IPNetwork>()
        syncKernelRoutes(wanted: prefixes, installed: &added, metric: metric)
        var old = prefixes
        syncKernelRoutes(wanted: [], installed: &old, metric: previous ?? 0)
        routeAgent.hostRoutes[peer] = added.isEmpty ? nil : Array(added)
    }
}
