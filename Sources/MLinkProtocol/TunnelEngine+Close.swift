import MLinkControl
import MLinkTypes

/// CLOSE (control kind 9, PROTOCOL.md section 14): an orderly stop tells every peer at once, so what depends on the
/// bundle (a router's routes for the host, a host's choice of router) follows without waiting for the paths to
/// fall silent.
extension TunnelEngine {
    /// Queues one CLOSE for every peer with a usable session and seals them into `out` (the daemon sends the batch
    /// and stops). Nothing else is sent afterwards: the sessions are ours to forget.
    public func close(now: UInt64, into out: OutboundBatch) {
        for (index, peer) in peers.enumerated() {
            guard let session = peer.session, isUsable(session, now: now), !peer.connections.isEmpty else { continue }
            // An empty body: `sendControl` copies nothing from it.
            _ = try? sendControl(to: index, kind: ControlKind.close, body: UnsafeRawBufferPointer(start: nil, count: 0),
                                 reliability: .unreliable)
        }
        flushControl(now: now, into: out)
    }

    /// An authentic CLOSE from `peerIndex`: its sessions end as if expired and its bundle is down at once.
    func receiveClose(flags: UInt8, length: Int, from peerIndex: Int, now: UInt64) -> Verdict {
        let peer = peers[peerIndex]
        guard flags == 0, length == 0 else {
            peer.counters.controlMalformed += 1
            return .none
        }
        peer.counters.closesReceived += 1
        for session in [peer.session, peer.previousSession, peer.nextSession].compactMap({ $0 }) {
            sessions.remove(session.localIndex)
        }
        peer.session = nil
        peer.previousSession = nil
        peer.nextSession = nil
        peer.control.reset()
        if !peer.dials {
            // A peer that dials us (a host, or a router peer with the lower key): its next handshake teaches its
            // connections again.
            peer.connections.removeAll()
        } else {
            // A peer we dial (our router, or a router peer with the higher key): its connections come from the
            // profile's endpoints, so they stay, down and unheard, and the handshake timer tries again at its
            // usual rate.
            for c in peer.connections.indices {
                peer.connections[c].state = .down
                peer.connections[c].stateChanged = now
                peer.connections[c].lastReceived = 0
            }
        }
        noteBundleState(of: peerIndex)
        return .none
    }
}
