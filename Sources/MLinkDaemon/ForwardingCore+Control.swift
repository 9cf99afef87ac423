import Foundation
import MLinkProtocol
import MLinkSystem
import MLinkTypes

extension ForwardingCore {
    /// Answers one control request: `show` (JSON status) or `stop`.
    ///
    /// Requests are one line; the exchange is short and bounded by socket timeouts, so a stuck client costs at
    /// most two seconds of this loop, never a crash.
    func serveControl() {
        guard let client = UnixSocket.accept(control) else { return }
        var request = [UInt8]()
        var byte: UInt8 = 0
        while request.count < 256, (try? client.read(into: &byte, count: 1)) == 1, byte != UInt8(ascii: "\n") {
            request.append(byte)
        }
        let command = String(decoding: request, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        let response: [UInt8]
        switch command {
        case "show":
            response = Array(statusJSON(now: MonotonicClock.now()).utf8)
        case "stop":
            requestStop()
            response = Array("ok\n".utf8)
        default:
            response = Array("error: unknown request '\(command)'\n".utf8)
        }
        try? client.writeAll(response)
    }

    /// The status document `mlink show --json` prints.
    func statusJSON(now: UInt64) -> String {
        let wallNow = WallClock.now()
        func ago(_ t: UInt64) -> Double? { t == 0 ? nil : Double(now &- t) / 1e9 }
        var peers: [[String: Any]] = []
        for peer in engine.peers {
            var connections: [[String: Any]] = []
            for c in peer.connections {
                let s = c.statistics
                let report = ConnectionReport(c, peerDelivered: peer.counters.delivered,
                                              isRouter: engine.configuration.isRouter)
                var entry: [String: Any] = [
                    "link": c.linkName, "local": c.local.description, "remote": c.remote.description,
                    "state": c.state.rawValue, "path_id": Int(c.pathID),
                    "rtt_ms": report.rttSeconds * 1e3, "jitter_ms": report.jitterSeconds * 1e3, "loss": report.loss,
                    "tx_bytes": s.txBytes, "rx_bytes": s.rxBytes, "tx_packets": s.txPackets, "rx_packets": s.rxPackets,
                    "delivered_first": s.deliveredFirst, "duplicates": s.duplicates, "too_old": s.tooOld,
                    "send_drops": s.sendDrops, "first_share": report.firstShare, "lost": s.lostEstimate,
                ]
                if let a = ago(c.lastReceived) { entry["last_received_s"] = a }
                if let a = ago(c.stateChanged) { entry["state_since_s"] = a }
                connections.append(entry)
            }
            var entry: [String: Any] = [
                "name": peer.name, "public_key": peer.publicKey.base64,
                "allowed_ips": peer.allowedIPs.map(\.description),
                "virtual_addresses": virtualAddresses(of: peer),
                "session": peer.session != nil,
                "delivered": peer.counters.delivered, "duplicates": peer.counters.duplicates,
                "too_old": peer.counters.tooOld, "forwarded": peer.counters.forwarded,
                "source_rejected": peer.counters.sourceRejected, "no_path": peer.counters.noPath,
                "sent": peer.counters.sent, "handshakes": peer.counters.handshakes,
                "handshake_repeats": peer.counters.handshakeRepeats,
                "replayed_handshakes": peer.counters.replayedHandshakes, "expired": peer.counters.expired,
                "tx_bytes": peer.connections.reduce(UInt64(0)) { $0 + $1.statistics.txBytes },
                "rx_bytes": peer.connections.reduce(UInt64(0)) { $0 + $1.statistics.rxBytes },
                "connections": connections,
            ]
            if let a = ago(peer.lastHandshake) { entry["latest_handshake"] = wallNow - a }
            peers.append(entry)
        }
        let drops = engine.globalDrops
        var document: [String: Any] = [
            "interface": tun.name, "name": profile.name, "role": profile.role.rawValue,
            "address": profile.interface.address.description, "mode": profile.mode.rawValue,
            "public_key": engine.configuration.publicKey.base64, "pid": Int(ProcessControl.currentPID),
            "started": startedAt,
            "listen_port": profile.role == .router ? Int(profile.listenPort ?? 7000) : 0,
            "links": slots.compactMap { $0 }.map { ["link": $0.link.name, "local": $0.socket.localAddress.description] },
            "source_routing": sourceRouting.installed.map {
                ["link": $0.linkName, "from": $0.address.address.description, "table": Int($0.table),
                 "gateway": $0.gateway.description]
            },
            "router_endpoints": routerAddresses.map(\.description),
            "drops": ["malformed": drops.malformed, "unknown_session": drops.unknownSession,
                      "unauthenticated": drops.unauthenticated, "unknown_key": drops.unknownKey,
                      "no_route": drops.noRoute, "rate_limited": drops.rateLimited, "oversized": statistics.oversized,
                      "tun_write": statistics.tunWriteDrops],
            "tun": ["rx_packets": statistics.tunReadPackets, "tx_packets": statistics.tunWritePackets],
            "peers": peers,
        ]
        if let metrics { document["metrics_listen"] = metrics.listener.localAddress.description }
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// What a peer's virtual network holds: a router's peers their allowed-ips; a host's router its virtual
    /// address and the extra routes the profile sends through it.
    func virtualAddresses(of peer: Peer) -> [String] {
        guard let router = profile.router else { return peer.allowedIPs.map(\.description) }
        let host = IPNetwork(address: router.virtualIP, prefixLength: router.virtualIP.bitWidth)!
        return ([host] + router.routes).map(\.description)
    }
}
