import MLinkConfig
import MLinkControl
import MLinkSystem
import MLinkTypes

extension ForwardingCore {
    /// Epoll token of the metrics listener's clients: `metricsClientTokenBase + i`.
    static let metricsClientTokenBase: UInt64 = 100

    /// Opens the `metrics-listen` socket, if the profile asks for one. A failure is logged, not fatal: metrics
    /// must never keep the tunnel down.
    func startMetrics() {
        guard let endpoint = profile.metricsListen, case .address(let address) = endpoint.host else { return }
        do {
            let server = try MetricsServer(address: SocketAddress(address: address, port: endpoint.port),
                                           tokenBase: ForwardingCore.metricsClientTokenBase, worker: control.worker)
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
            metrics.clients.acceptClients(epoll: epoll, now: MonotonicClock.now())
        } else if metrics.clients.owns(token: token) {
            metrics.serve(token: token, epoll: epoll, snapshot: { statusReport(now: MonotonicClock.now()) },
                          render: MetricsRenderer.render)
        }
    }
}

/// The Prometheus text (exposition format 0.0.4) of a status report: per-connection gauges and counters,
/// per-peer counters, and the core's drops.
///
/// Names follow the Prometheus conventions: base units (seconds, bytes, ratios 0...1), `_total` on counters,
/// labels `interface`, `peer`, `link`, `local`, `remote`. Counter names come from the counters' `fieldList`
/// (`mlink_connection_NAME_total`, `mlink_peer_NAME[_UNIT]_total`, `mlink_dropped_packets_total{reason=NAME}`),
/// the same names as the JSON keys of `show --json` and the words of the drop log.
enum MetricsRenderer {
    static func render(_ report: StatusReport) -> String {
        var out = MetricsText()
        let interface = report.interface
        typealias Row = (labels: [(String, String)], connection: ConnectionReport)
        var rows: [Row] = []
        for peer in report.peers {
            for c in peer.connections {
                rows.append(([("interface", interface), ("peer", peer.name), ("link", c.link), ("local", c.local),
                              ("remote", c.remote)], c))
            }
        }
        out.family("mlink_info", .gauge, "The interface's identity; the value is always 1.")
        out.sample("mlink_info", [("interface", interface), ("name", report.name), ("role", report.role),
                                  ("mode", report.mode)], 1)

        out.family("mlink_connection_up", .gauge, "1 when the connection carries traffic (up or degraded), else 0.")
        for row in rows {
            out.sample("mlink_connection_up", row.labels, row.connection.state.carriesTraffic ? 1 : 0)
        }
        out.family("mlink_connection_state", .gauge, "1 for the connection's current state, 0 for the others.")
        for row in rows {
            for state in ConnectionState.allCases {
                out.sample("mlink_connection_state", row.labels + [("state", state.rawValue)],
                           state == row.connection.state ? 1 : 0)
            }
        }
        let gauges: [(String, String, (ConnectionReport) -> Double)] = [
            ("mlink_connection_rtt_seconds", "Smoothed round-trip time (RFC 6298 SRTT); 0 before the first sample.",
             { $0.rttMilliseconds / 1e3 }),
            ("mlink_connection_jitter_seconds", "Round-trip time variation (RFC 6298 RTTVAR).",
             { $0.jitterMilliseconds / 1e3 }),
            ("mlink_connection_loss_ratio", "Share of packets lost on this connection, 0 to 1.", { $0.loss }),
            ("mlink_connection_first_share_ratio", "Share of the peer's delivered packets this connection brought first.",
             { $0.firstShare }),
        ]
        for (name, help, value) in gauges {
            out.family(name, .gauge, help)
            for row in rows { out.sample(name, row.labels, value(row.connection)) }
        }
        for field in ConnectionCounts.fieldList {
            let name = metricName("mlink_connection", field)
            out.family(name, .counter, field.help)
            for row in rows { out.sample(name, row.labels, Double(row.connection.counters[keyPath: field.keyPath])) }
        }
        for field in PeerCounts.fieldList {
            let name = metricName("mlink_peer", field)
            out.family(name, .counter, field.help)
            for peer in report.peers {
                out.sample(name, [("interface", interface), ("peer", peer.name)], Double(peer.counters[keyPath: field.keyPath]))
            }
        }
        out.family("mlink_dropped_packets_total", .counter, "Datagrams and packets dropped by the core, by reason.")
        for (reason, count) in report.drops.fields {
            out.sample("mlink_dropped_packets_total", [("interface", interface), ("reason", reason)], Double(count))
        }
        out.family("mlink_tun_packets_total", .counter, "Packets read from (rx) and written to (tx) the TUN device.")
        out.sample("mlink_tun_packets_total", [("interface", interface), ("direction", "rx")], Double(report.tun.rxPackets))
        out.sample("mlink_tun_packets_total", [("interface", interface), ("direction", "tx")], Double(report.tun.txPackets))
        out.family("mlink_tun_writes_total", .counter, "TUN write calls (coalesced super-packets count once).")
        out.sample("mlink_tun_writes_total", [("interface", interface)], Double(report.tun.writes))
        out.family("mlink_tun_coalesced_segments_total", .counter, "Delivered packets written inside a coalesced super-packet.")
        out.sample("mlink_tun_coalesced_segments_total", [("interface", interface)], Double(report.tun.coalescedSegments))
        out.family("mlink_source_routing_heals_total", .counter,
                   "Times the core put back part of a link's source-routing table or rules the kernel had dropped.")
        for entry in report.sourceRouting {
            out.sample("mlink_source_routing_heals_total", [("interface", interface), ("link", entry.link)], Double(entry.heals))
        }
        out.family("mlink_links", .gauge, "Local link addresses in the bundle.")
        out.sample("mlink_links", [("interface", interface)], Double(report.links.count))
        renderLeases(report, into: &out)
        renderClasses(report, into: &out)
        renderRoutes(report, into: &out)
        renderImports(report, into: &out)
        renderRouters(report, into: &out)  // ForwardingCore+Routers.swift
        return out.text
    }

    /// Each policy class's traffic (issue 15: what the savings are): packets, and wire bytes by purpose.
    static func renderClasses(_ report: StatusReport, into out: inout MetricsText) {
        guard let classes = report.policies?.classes, !classes.isEmpty else { return }
        let interface = ("interface", report.interface)
        out.family("mlink_class_packets_total", .counter, "Data packets sent, by policy class (once however many copies).")
        for usage in classes { out.sample("mlink_class_packets_total", [interface, ("class", usage.name)], Double(usage.packets)) }
        out.family("mlink_class_bytes_total", .counter,
                   "Wire bytes sent by policy class and purpose: data (first copies), duplicate, parity, repair, replay.")
        for usage in classes {
            for (purpose, bytes) in [("data", usage.dataBytes), ("duplicate", usage.duplicateBytes), ("parity", usage.parityBytes),
                                     ("repair", usage.repairBytes), ("replay", usage.replayBytes)] {
                out.sample("mlink_class_bytes_total", [interface, ("class", usage.name), ("purpose", purpose)], Double(bytes))
            }
        }
    }

    /// `PREFIX_NAME[_UNIT]_total`.
    static func metricName<C>(_ prefix: String, _ field: CounterField<C>) -> String {
        prefix + "_" + field.name + (field.unit.map { "_" + $0 } ?? "") + "_total"
    }
}

/// Builds Prometheus text exposition format 0.0.4.
struct MetricsText {
    enum Kind: String { case gauge, counter }
    private(set) var text = ""

    /// Starts a metric family: its HELP and TYPE lines. All its samples must follow before the next family.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(MetricsText.escape(help, quotes: false))\n"
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

    /// Escapes backslash and line feed, and in label values (`quotes`) the double quote.
    static func escape(_ value: String, quotes: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.append(character)
            }
        }
        return out
    }
}
