import MLinkConfig
import MLinkControl
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// The control socket and the metrics endpoint: their clients, and the status report both answer from.
extension ForwardingCore {
    /// Epoll tokens of the control socket's clients: `controlClientTokenBase + i`.
    static let controlClientTokenBase: UInt64 = 200

    /// Accepts the control socket's pending clients (they are served as they become readable).
    func acceptControlClients() {
        control.clients.acceptClients(epoll: epoll, now: MonotonicClock.now())
    }

    /// Handles an epoll event of a control or metrics client, of the metrics listener, or of the worker that
    /// renders their answers.
    ///
    /// `show` costs the loop one snapshot (`statusReport`, about 40 us for 64 connections in a release build);
    /// its JSON (0.6 ms there, 5 ms for 100 peers with 4 connections each) is encoded by the `AnswerWorker`.
    func handleClientEvent(token: UInt64) {
        if token == Token.answers.rawValue {
            control.worker.collect(epoll: epoll)
        } else if control.clients.owns(token: token) {
            control.serve(token: token, epoll: epoll) { request in
                switch request {
                case .show:
                    let report = statusReport(now: MonotonicClock.now())
                    return .later { report.jsonLine }
                case .stop:
                    requestStop()
                    return .now(Array("ok\n".utf8))
                }
            }
        } else {
            handleMetrics(token: token)
        }
    }

    /// Closes control and metrics clients that overstayed their time.
    func expireClients(now: UInt64) {
        control.clients.expire(now: now, epoll: epoll)
        metrics?.clients.expire(now: now, epoll: epoll)
    }

    /// The status report: `show`, the metrics and the drop log all render from it.
    func statusReport(now: UInt64) -> StatusReport {
        var facts = StatusSnapshot.CoreFacts()
        facts.interface = tun.name
        facts.name = profile.name
        facts.role = profile.role.rawValue
        facts.address = leasedAddressDescription ?? profile.interface.address.description
        facts.mode = profile.mode.rawValue
        facts.pid = Int(ProcessControl.currentPID)
        facts.started = startedAt
        facts.listenPort = profile.role == .router ? Int(profile.listenPort ?? 7000) : 0
        facts.links = slots.compactMap { $0 }.map {
            LinkReport(link: $0.link.name, local: $0.socket.localAddress.description, udpGSO: $0.socket.segmentationOffload,
                       udpGRO: $0.socket.receiveOffload,
                       sendBuffer: $0.socket.sendBufferBytes, receiveBuffer: $0.socket.receiveBufferBytes)
        }
        addBudgets(to: &facts.links)
        facts.sourceRouting = sourceRouting.installed.map {
            SourceRouteReport(link: $0.linkName, from: $0.address.address.description, table: Int($0.table),
                              gateway: $0.gateway.description, heals: Int(sourceRouting.heals[$0.linkName] ?? 0))
        }
        facts.routerEndpoints = routerAddresses.map(\.description)
        facts.metricsListen = metrics?.listener.localAddress.description
        if let router = profile.router {
            facts.routerNetworks = [IPNetwork(address: router.virtualIP, prefixLength: router.virtualIP.bitWidth)!]
                + router.routes
        }
        facts.oversized = statistics.oversized
        facts.tunWriteDrops = statistics.tunWriteDrops
        facts.tunReadPackets = statistics.tunReadPackets
        facts.tunWritePackets = statistics.tunWritePackets
        facts.tun.offloads = TunDevice.offloadNames(tun.offloads)
        facts.tun.superPackets = statistics.tunSuperPackets
        facts.tun.offloadDrops = statistics.offloadDrops
        facts.tun.writes = statistics.tunWrites
        facts.tun.coalescedSegments = statistics.tunCoalescedSegments
        var report = StatusSnapshot.report(engine: engine, facts: facts, now: now, wallNow: WallClock.now())
        report.leases = leaseReport()
        report.routes = routesReport()
        report.imports = importsReport()
        return report
    }
}
