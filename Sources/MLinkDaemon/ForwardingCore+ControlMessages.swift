import MLinkProtocol
import MLinkTypes

/// Control messages and engine events (PROTOCOL.md section 14): the engine hands each new control message here,
/// and this file dispatches it by kind to the part of the core that owns the kind. A kind nobody owns is counted
/// as unknown (the engine has already acknowledged it if asked).
extension ForwardingCore {
    /// A new control message from `peer`; its body is `length` bytes at `body`, valid only during the call.
    func handleControl(peer: Int, kind: UInt8, flags: UInt8, body: UnsafeRawPointer, length: Int, now: UInt64) {
        if handleRouteMessage(peer: peer, kind: kind, body: body, length: length, now: now) { return }
        switch kind {
        case ControlKind.addressRequest...ControlKind.addressDecline:
            handleLease(peer: peer, kind: kind, flags: flags, body: body, length: length, now: now)
        case ControlKind.leaseSync:
            handleLeaseSync(peer: peer, body: body, length: length)  // ForwardingCore+LeaseSync.swift
        default:
            engine.countControl(from: peer, unknown: true)
        }
    }

    /// Runs after every wake-up: acts on the engine's events and sends the control messages and ACKs due, so an
    /// answer leaves in the same turn as its question.
    func afterWake(now: UInt64) {
        engine.drainEvents { event in
            handleRouteEvent(event, now: now)
            switch event {
            case .sessionEstablished(let peer):
                log.info("peer \(engine.peers[peer].name): session established")
                leaseSessionEstablished(peer: peer)
            case .bundleUp(let peer):
                log.info("peer \(engine.peers[peer].name): bundle up")
            case .bundleDown(let peer):
                log.info("peer \(engine.peers[peer].name): bundle down (no connection up)")
                hostRouterBundleDown(peer: peer)
            case .currentRouterChanged(let peer):
                currentRouterChanged(to: peer)  // ForwardingCore+Routers.swift
            case .failoverSwitched(let peer, let from, let to, let reason):
                log.info("peer \(engine.peers[peer].name): failover from \(pathName(peer, from)) to \(pathName(peer, to)) "
                         + "(\(reason.rawValue))")
            case .pathSilenceReported(let peer, let c, let silence, let threshold, let tickGap):
                let line = "peer \(engine.peers[peer].name): no data on \(pathName(peer, c)) for \(silence / 1_000_000) ms "
                    + "(threshold \(threshold / 1_000_000) ms, tick \(tickGap / 1_000_000) ms after the previous)"
                if silenceLog.admit(line, now: now) { log.info(line + ": PATH_SILENT sent on the other links") }
            }
        }
        leaseTick()
        leaseSyncFlush()
        if engine.hasControlWork {
            engine.flushControl(now: now, into: out)
            flush()
        }
    }
}

extension ForwardingCore {
    /// "LINK to REMOTE" of connection `c` of peer `peer`, for the log ("none" when there is no such connection).
    func pathName(_ peer: Int, _ c: Int) -> String {
        let connections = engine.peers[peer].connections
        return c >= 0 && c < connections.count ? "\(connections[c].linkName) to \(connections[c].remote)" : "none"
    }
}
