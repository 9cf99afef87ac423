import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// The Prometheus text (exposition format 0.0.4) of the core: per-connection gauges and counters, per-peer
/// counters, and the core's own drops. Names follow the Prometheus conventions: base units (seconds, bytes,
/// ratios 0...1), `_total` on counters, labels `interface`, `peer`, `link`, `local`, `remote`.
extension ForwardingCore {
    /// Epoll token of the metrics listener's clients: `metricsClientTokenBase + i`.
    static let metricsClientTokenBase: UInt64 = 100

    /// Opens the `metrics-listen` socket, if the profile asks for one. A failure is logged, not fatal: metrics
    /// must never keep the tunnel down.
    func startMetrics() {
        guard let endpoint = profile.metricsListen, case .address(let address) = endpoint.host else { return }
        do {
            let server = try MetricsServer(address: SocketAddress(address: address, port: endpoint.port),
                                           tokenBase: ForwardingCore.metricsClientTokenBase)
            try epoll.add(server.listener.descriptor.rawValue, token: Token.metrics.rawValue)
            metrics = server
            log.info("metrics at http://\(server.listener.localAddress)/metrics")
        } catch {
            log.warning("metrics endpoint \(endpoint) unavailable: \(error)")
        }
    }

    /// Handles an epoll event of the metrics listener or one of its clients.
    func handleMetrics(token: UInt64) {
        guard let metrics else { return }
        if token == Token.metrics.rawValue {
            metrics.acceptClients(epoll: epoll, now: MonotonicClock.now())
        } else if metrics.owns(token: token) {
            metrics.serve(token: token, epoll: epoll) { metricsText() }
        }
    }

    /// The exposition text.
    func metricsText() -> String {
        var out = MetricsText()
        let interface = tun.name
        let isRouter = engine.configuration.isRouter
        typealias Row = (labels: [(String, String)], connection: Connection, report: ConnectionReport)
        var rows: [Row] = []
        for peer in engine.peers {
            for c in peer.connections {
                let labels = [("interface", interface), ("peer", peer.name), ("link", c.linkName),
                              ("local", c.local.description), ("remote", c.remote.description)]
                rows.append((labels, c, ConnectionReport(c, peerDelivered: peer.counters.delivered, isRouter: isRouter)))
            }
        }
        out.family("mlink_info", .gauge, "The interface's identity; the value is always 1.")
        out.sample("mlink_info", [("interface", interface), ("name", profile.name), ("role", profile.role.rawValue),
                                  ("mode", profile.mode.rawValue)], 1)

        out.family("mlink_connection_up", .gauge, "1 when the connection carries traffic (up or degraded), else 0.")
        for row in rows {
            out.sample("mlink_connection_up", row.labels, row.connection.state.carriesTraffic ? 1 : 0)
        }
        out.family("mlink_connection_state", .gauge, "1 for the connection's current state, 0 for the others.")
        for row in rows {
            let current = row.connection.state.rawValue
            var states = [Connection.State.probing, .up, .degraded, .down].map(\.rawValue)
            if !states.contains(current) { states.append(current) }
            for state in states {
                out.sample("mlink_connection_state", row.labels + [("state", state)], state == current ? 1 : 0)
            }
        }
        let gauges: [(String, String, (Row) -> Double)] = [
            ("mlink_connection_rtt_seconds", "Smoothed round-trip time (RFC 6298 SRTT); 0 before the first sample.",
             { $0.report.rttSeconds }),
            ("mlink_connection_jitter_seconds", "Round-trip time variation (RFC 6298 RTTVAR).", { $0.report.jitterSeconds }),
            ("mlink_connection_loss_ratio", "Share of packets lost on this connection, 0 to 1.", { $0.report.loss }),
            ("mlink_connection_first_share_ratio", "Share of the peer's delivered packets this connection brought first.",
             { $0.report.firstShare }),
        ]
        for (name, help, value) in gauges {
            out.family(name, .gauge, help)
            for row in rows { out.sample(name, row.labels, value(row)) }
        }
        let counters: [(String, String, (PathStatistics) -> UInt64)] = [
            ("mlink_connection_tx_bytes_total", "Bytes sent on this connection (tunnel datagrams).", { $0.txBytes }),
            ("mlink_connection_rx_bytes_total", "Bytes received on this connection, duplicates included.", { $0.rxBytes }),
            ("mlink_connection_tx_packets_total", "Datagrams sent on this connection.", { $0.txPackets }),
            ("mlink_connection_rx_packets_total", "Authentic datagrams received on this connection.", { $0.rxPackets }),
            ("mlink_connection_delivered_first_total", "Packets this connection delivered before any other copy.",
             { $0.deliveredFirst }),
            ("mlink_connection_duplicates_total", "Copies that arrived after another connection's.", { $0.duplicates }),
            ("mlink_connection_lost_packets_total", "Packets estimated lost from the path sequence numbers.",
             { $0.lostEstimate }),
            ("mlink_connection_send_drops_total", "Copies dropped because the link's socket refused them.",
             { $0.sendDrops }),
        ]
        for (name, help, value) in counters {
            out.family(name, .counter, help)
            for row in rows { out.sample(name, row.labels, Double(value(row.connection.statistics))) }
        }
        let peerCounters: [(String, String, (PeerCounters) -> UInt64)] = [
            ("mlink_peer_delivered_packets_total", "Packets from this peer delivered (first copies).", { $0.delivered }),
            ("mlink_peer_duplicates_total", "Duplicate copies from this peer dropped.", { $0.duplicates }),
            ("mlink_peer_too_old_total", "Copies from this peer dropped as too old for the window.", { $0.tooOld }),
            ("mlink_peer_forwarded_packets_total", "Packets from this peer forwarded to another peer.", { $0.forwarded }),
            ("mlink_peer_sent_packets_total", "Packets sent to this peer.", { $0.sent }),
            ("mlink_peer_handshakes_total", "Completed session set-ups with this peer.", { $0.handshakes }),
        ]
        for (name, help, value) in peerCounters {
            out.family(name, .counter, help)
            for peer in engine.peers {
                out.sample(name, [("interface", interface), ("peer", peer.name)], Double(value(peer.counters)))
            }
        }
        let drops = engine.globalDrops
        out.family("mlink_dropped_packets_total", .counter, "Datagrams and packets dropped by the core, by reason.")
        for (reason, count) in [("malformed", drops.malformed), ("unknown_session", drops.unknownSession),
                                ("unauthenticated", drops.unauthenticated), ("unknown_key", drops.unknownKey),
                                ("no_route", drops.noRoute), ("rate_limited", drops.rateLimited),
                                ("oversized", statistics.oversized),
                                ("tun_write", statistics.tunWriteDrops)] {
            out.sample("mlink_dropped_packets_total", [("interface", interface), ("reason", reason)], Double(count))
        }
        out.family("mlink_tun_packets_total", .counter, "Packets read from (rx) and written to (tx) the TUN device.")
        out.sample("mlink_tun_packets_total", [("interface", interface), ("direction", "rx")], Double(statistics.tunReadPackets))
        out.sample("mlink_tun_packets_total", [("interface", interface), ("direction", "tx")], Double(statistics.tunWritePackets))
        out.family("mlink_links", .gauge, "Local link addresses in the bundle.")
        out.sample("mlink_links", [("interface", interface)], Double(slots.compactMap { $0 }.count))
        return out.text
    }
}

/// Builds Prometheus text exposition format 0.0.4.
struct MetricsText {
    enum Kind: String { case gauge, counter }
    private(set) var text = ""

    /// Starts a metric family: its HELP and TYPE lines. All its samples must follow before the next family.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n"))\n"
        text += "# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample line; integral values are printed without a fraction.
    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(MetricsText.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        if value == value.rounded(), abs(value) < 1e15 {
            text += " \(Int64(value))\n"
        } else {
            text += " \(value)\n"
        }
    }

    /// Label values escape backslash, double quote and line feed.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
