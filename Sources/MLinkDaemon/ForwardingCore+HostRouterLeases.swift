import MLinkConfig
import MLinkControl
import MLinkLeases
import MLinkProtocol
import MLinkTypes

/// A host on several routers (issue 16 item 3): its lease comes from its current router (`leaseRouter`,
/// ForwardingCore+Routers.swift); every other router is asked, after each session with it and after each grant, to accept the same address (the reboot
/// request of PROTOCOL.md §14.1), so that the address is an accepted inner source at all of them. Their answers
/// never change the host's address; one that grants the same address renews the lease (any router renews any
/// lease it knows, §14.4). State in `LeaseService.otherRouters`.
extension ForwardingCore {
    /// Starts tracking the routers (called by `startLeases` on a host with `routers:`). All are tracked, because
    /// the current one changes; the current one is never asked (its lease client asks it).
    func startHostRouterLeases(_ service: LeaseService) {
        guard engine.peers.count > 1 else { return }
        service.otherRouters = HostRouterLeases(routers: Array(engine.peers.indices))
    }

    /// A session with router `peer` is up.
    func hostRouterSessionEstablished(peer: Int) {
        guard let service = leases, service.otherRouters != nil else { return }
        service.otherRouters?.sessionEstablished(peer, now: leaseNow)
        if peer == leaseRouter && service.askedFor != leaseRouter {
            // The current router changed (or its first session): the previous one is asked like any other.
            service.askedFor = leaseRouter
            service.otherRouters?.addressChanged(now: leaseNow)
        }
        askOtherRouters(service)
    }

    /// The bundle to router `peer` is down.
    func hostRouterBundleDown(peer: Int) {
        leases?.otherRouters?.sessionLost(peer)
    }

    /// The host's lease was granted or renewed: ask the other routers again.
    func hostLeaseGranted(_ service: LeaseService) {
        guard service.otherRouters != nil else { return }
        service.otherRouters?.addressChanged(now: leaseNow)
        askOtherRouters(service)
    }

    /// An ASSIGN from a router other than the lease router; malformed ones are counted like the lease router's.
    func handleOtherRouterAssign(peer: Int, body: UnsafeRawBufferPointer, service: LeaseService) {
        guard let assign = AddressAssign(body: body) else {
            service.malformed += 1
            return engine.countControl(from: peer, unknown: false)
        }
        let granted = assign.reason.carriesAddresses ? assign.items.item(ipv6: false)?.address : nil
        let held = service.client?.lease?.address.address
        let before = service.otherRouters?.state(of: peer)
        service.otherRouters?.received(from: peer, granted: granted, held: held, now: leaseNow)
        let after = service.otherRouters?.state(of: peer)
        // Any router renews the lease (PROTOCOL.md §14.4): a grant of the same address restarts the timers, so a
        // host whose lease router is gone keeps its address as long as another router answers.
        if after == .accepted, var client = service.client {
            let change = client.receive(assign, now: leaseNow, router: engine.peers[leaseRouter].publicKey)
            service.client = client
            apply(change, service: service)
        }
        guard before != after else { return }
        if after == .accepted {
            log.info("lease: router \(engine.peers[peer].name) accepts \(held.map { "\($0)" } ?? "-")")
        } else {
            log.info("lease: router \(engine.peers[peer].name) answered \(granted.map { "\($0)" } ?? "\(assign.reason)") "
                     + "for \(held.map { "\($0)" } ?? "-"); asking again")
        }
    }

    /// Sends the reboot request to every other router that is due (also from the lease timer pass).
    func askOtherRouters(_ service: LeaseService) {
        guard var routers = service.otherRouters, let client = service.client else { return }
        let due = routers.due(now: leaseNow, haveAddress: client.lease != nil)
        service.otherRouters = routers
        for peer in due where peer != leaseRouter {
            do {
                try engine.sendControl(to: peer, kind: LeaseMessageKind.addressRequest.rawValue,
                                       flags: client.request.flags, body: client.request.body, reliability: .reliable)
            } catch {
                log.warning("lease: cannot ask router \(engine.peers[peer].name): \(error)")
            }
        }
    }

    /// `show`'s per-router states of a host on several routers.
    func hostRouterReports() -> [HostRouterLeaseReport] {
        guard let routers = leases?.otherRouters else { return [] }
        return routers.states.map {
            HostRouterLeaseReport(name: engine.peers[$0.router].name,
                                  state: $0.router == leaseRouter ? "current" : $0.state.rawValue)
        }
    }
}
