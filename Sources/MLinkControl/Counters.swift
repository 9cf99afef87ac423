/// Datagrams and packets the core dropped that belong to no peer: the `drops` object of `show --json`, the
/// `reason` label of `mlink_dropped_packets_total` and the words of the core's drop log.
///
/// Drops that can be blamed on a peer are that peer's counters (`PeerCounts`); copies a link's socket refused
/// are the connection's (`ConnectionCounts.sendDrops`).
public struct DropCounts: CounterSet, Codable {
    public var malformed: UInt64 = 0
    public var unknownSession: UInt64 = 0
    public var unauthenticated: UInt64 = 0
    public var unknownKey: UInt64 = 0
    public var noRoute: UInt64 = 0
    public var rateLimited: UInt64 = 0
    public var cookieReplies: UInt64 = 0
    public var oversized: UInt64 = 0
    public var tunWrite: UInt64 = 0

    public init() {}

    /// Every drop counted here.
    public var total: UInt64 { Self.fieldList.reduce(0) { $0 + self[keyPath: $1.keyPath] } }

    public static let fieldList: [CounterField<DropCounts>] = [
        .init("malformed", \.malformed,
              help: "Datagrams too short, of an unknown type or of the wrong size for their type."),
        .init("unknown_session", \.unknownSession,
              help: "Transport messages or responses for a receiver index that no session or handshake has."),
        .init("unauthenticated", \.unauthenticated,
              help: "Datagrams whose MAC, handshake or authentication tag did not verify."),
        .init("unknown_key", \.unknownKey, help: "Initiations from a public key that is no peer of the profile."),
        .init("no_route", \.noRoute, help: "Inner packets whose destination no peer's allowed-ips cover."),
        .init("rate_limited", \.rateLimited, help: "Initiations refused by the handshake rate limit."),
        .init("cookie_replies", \.cookieReplies,
              help: "Initiations answered with a cookie reply instead of a handshake (under load, no valid mac2)."),
        .init("oversized", \.oversized, help: "Datagrams larger than the core's receive buffer, and inner packets larger than its send buffers."),
        .init("tun_write", \.tunWrite, help: "Inner packets the TUN device refused."),
    ]

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try encodeFields(into: &container)
    }

    public init(from decoder: Decoder) throws {
        try self.init(fieldsOf: decoder.container(keyedBy: FieldKey.self))
    }
}

/// A peer's counters, flat in its `show --json` object and `mlink_peer_NAME_total` in the metrics.
public struct PeerCounts: CounterSet {
    public var delivered: UInt64 = 0
    public var duplicates: UInt64 = 0
    public var tooOld: UInt64 = 0
    public var forwarded: UInt64 = 0
    public var sourceRejected: UInt64 = 0
    public var noPath: UInt64 = 0
    public var sent: UInt64 = 0
    public var handshakes: UInt64 = 0
    public var handshakeRepeats: UInt64 = 0
    public var replayedHandshakes: UInt64 = 0
    public var expired: UInt64 = 0
    public var pathsRefused: UInt64 = 0
    public var staged: UInt64 = 0
    public var stagingDrops: UInt64 = 0
    public var cookies: UInt64 = 0
    public var controlSent: UInt64 = 0
    public var controlReceived: UInt64 = 0
    public var controlRetransmits: UInt64 = 0
    public var controlMalformed: UInt64 = 0
    public var controlUnknown: UInt64 = 0
    public var controlOverflow: UInt64 = 0
    public var paritySent: UInt64 = 0
    public var parityReceived: UInt64 = 0
    public var parityRecovered: UInt64 = 0
    public var parityMalformed: UInt64 = 0

    public var silenceAlarmsSent: UInt64 = 0
    public var silenceAlarmsReceived: UInt64 = 0
    public var silenceAlarmsDismissed: UInt64 = 0
    public var replayed: UInt64 = 0
    public var feedbackSent: UInt64 = 0
    public var feedbackReceived: UInt64 = 0
    public var nacksSent: UInt64 = 0
    public var repaired: UInt64 = 0
    public var repairMisses: UInt64 = 0
    /// Receiver: data packets delivered after a higher counter had been, and those of them this side had NACKed
    /// (what the peer's copies on slower links, repairs and replays rescued; parity's are `parityRecovered`).
    public var deliveredLate: UInt64 = 0
    public var deliveredAfterNack: UInt64 = 0
    public var nackBursts: UInt64 = 0
    public var closesReceived: UInt64 = 0
    /// Issue 16: initiations from a router peer that should have answered, and packets one router peer sent
    /// towards another (never forwarded: one router hop in a full mesh).
    public var handshakesRefused: UInt64 = 0
    public var transitRefused: UInt64 = 0

    public init() {}

    public static let fieldList: [CounterField<PeerCounts>] = [
        .init("delivered", unit: "packets", \.delivered, help: "Packets from this peer delivered (first copies)."),
        .init("duplicates", \.duplicates, help: "Copies from this peer dropped because another copy came first."),
        .init("too_old", \.tooOld, help: "Copies from this peer dropped as too old for the replay window."),
        .init("forwarded", unit: "packets", \.forwarded, help: "Packets from this peer forwarded to another peer."),
        .init("source_rejected", unit: "packets", \.sourceRejected,
              help: "Packets from this peer whose inner source lies outside its allowed-ips."),
        .init("no_path", unit: "packets", \.noPath,
              help: "Packets for this peer dropped because no session or no connection existed yet."),
        .init("sent", unit: "packets", \.sent, help: "Packets sent to this peer, once however many copies."),
        .init("handshakes", \.handshakes, help: "Completed session set-ups with this peer."),
        .init("handshake_repeats", \.handshakeRepeats,
              help: "Initiations answered again from the cache (the same initiation on another path)."),
        .init("replayed_handshakes", \.replayedHandshakes,
              help: "Initiations refused because their timestamp was not newer than the last one (replays)."),
        .init("expired", unit: "packets", \.expired,
              help: "Authentic messages that came under a session past its reject-after time."),
        .init("paths_refused", unit: "packets", \.pathsRefused,
              help: "Authentic messages on a new path refused because the peer's path limit is reached."),
        .init("staged", unit: "packets", \.staged,
              help: "Packets that waited for a session with this peer and were sent once it was up."),
        .init("staging_drops", unit: "packets", \.stagingDrops,
              help: "Packets that waited for a session with this peer and were dropped (queue full, too large, or older than 2 s)."),
        .init("cookies", \.cookies, help: "Cookie replies accepted from this peer (a router under load asked for mac2)."),
        .init("control_sent", unit: "messages", \.controlSent,
              help: "Control messages sent to this peer (retransmissions and ACKs included), once however many copies."),
        .init("control_received", unit: "messages", \.controlReceived,
              help: "New control messages received from this peer (ACKs included)."),
        .init("control_retransmits", unit: "messages", \.controlRetransmits,
              help: "Control messages sent again because no ACK had come."),
        .init("control_malformed", unit: "messages", \.controlMalformed,
              help: "Control messages from this peer with a bad header or body, dropped."),
        .init("control_unknown", unit: "messages", \.controlUnknown,
              help: "Control messages of a kind this mlink does not know, ignored (acknowledged if asked)."),
        .init("control_overflow", unit: "messages", \.controlOverflow,
              help: "Control messages refused because 16 were already waiting for an ACK from this peer."),
        .init("silence_alarms_sent", \.silenceAlarmsSent,
              help: "PATH_SILENT alarms sent: data from this peer stopped on one path (one per other path)."),
        .init("silence_alarms_received", \.silenceAlarmsReceived,
              help: "PATH_SILENT alarms this peer sent about our paths."),
        .init("silence_alarms_dismissed", \.silenceAlarmsDismissed,
              help: "Received PATH_SILENT alarms not acted on: the silence was our own pause, not the path's."),
        .init("replayed", unit: "packets", \.replayed,
              help: "Data packets sent again on the new link after a failover takeover."),
        .init("feedback_sent", unit: "messages", \.feedbackSent,
              help: "FEEDBACK messages sent to this peer about its data (summaries and NACKs), once however many copies."),
        .init("feedback_received", unit: "messages", \.feedbackReceived, help: "FEEDBACK messages this peer sent about our data."),
        .init("nacks_sent", unit: "messages", \.nacksSent, help: "FEEDBACK messages sent to this peer that NACKed lost counters."),
        .init("repaired", unit: "packets", \.repaired,
              help: "Data packets this peer NACKed that were sent again on another link within the deadline."),
        .init("repair_misses", unit: "packets", \.repairMisses,
              help: "Data packets this peer NACKed that could not be repaired: past the deadline or no other link."),
        .init("delivered_late", unit: "packets", \.deliveredLate,
              help: "Data packets from this peer delivered after a higher counter: a copy on a slower link, a repair or replay, or reordering."),
        .init("delivered_after_nack", unit: "packets", \.deliveredAfterNack,
              help: "Of delivered_late, the packets this side had NACKed: rescued by the peer's cross-link repair (or a copy later still)."),
        .init("nack_bursts", \.nackBursts,
              help: "NACK bursts on a failover link (5 of 16 consecutive packets lost): the link was taken out of service."),
        .init("closes_received", \.closesReceived,
              help: "CLOSE messages from this peer: it stopped in an orderly way and its sessions ended at once."),
        .init("parity_sent", unit: "messages", \.paritySent,
              help: "Parity messages sent to this peer, once however many copies."),
        .init("parity_received", unit: "messages", \.parityReceived, help: "New parity messages received from this peer."),
        .init("parity_recovered", unit: "packets", \.parityRecovered,
              help: "Lost packets from this peer rebuilt from parity (also counted as delivered)."),
        .init("parity_malformed", unit: "messages", \.parityMalformed,
              help: "Parity messages from this peer with a bad header or shard, dropped."),
        .init("handshakes_refused", \.handshakesRefused,
              help: "Initiations from this router peer refused: its key is higher, so this router dials it."),
        .init("transit_refused", unit: "packets", \.transitRefused,
              help: "Packets from this router peer for another router peer, dropped (one router hop, no loops)."),
    ]
}

/// A connection's counters, flat in its `show --json` object and `mlink_connection_NAME_total` in the metrics.
public struct ConnectionCounts: CounterSet {
    public var txBytes: UInt64 = 0
    public var rxBytes: UInt64 = 0
    public var txPackets: UInt64 = 0
    public var rxPackets: UInt64 = 0
    public var deliveredFirst: UInt64 = 0
    public var duplicates: UInt64 = 0
    public var tooOld: UInt64 = 0
    public var sendDrops: UInt64 = 0
    public var lost: UInt64 = 0
    // What the bytes were for (issue 14): per direction, data (the first copy of a packet), duplicate (its
    // 2nd..nth copies, and on receive the copies that lost the race), probe, and control (handshakes, control
    // messages, feedback), replay and parity. tx_bytes = the six tx byte counters summed; likewise rx_bytes, except that rx_bytes
    // also counts handshake responses the path carried before it was a connection.
    public var txDataBytes: UInt64 = 0
    public var txDataPackets: UInt64 = 0
    public var txDuplicateBytes: UInt64 = 0
    public var txDuplicatePackets: UInt64 = 0
    public var txProbeBytes: UInt64 = 0
    public var txProbePackets: UInt64 = 0
    public var txControlBytes: UInt64 = 0
    public var txControlPackets: UInt64 = 0
    public var txReplayBytes: UInt64 = 0
    public var txReplayPackets: UInt64 = 0
    public var rxDataBytes: UInt64 = 0
    public var rxDataPackets: UInt64 = 0
    public var rxDuplicateBytes: UInt64 = 0
    public var rxDuplicatePackets: UInt64 = 0
    public var rxProbeBytes: UInt64 = 0
    public var rxProbePackets: UInt64 = 0
    public var rxControlBytes: UInt64 = 0
    public var rxControlPackets: UInt64 = 0
    public var txParityBytes: UInt64 = 0
    public var txParityPackets: UInt64 = 0
    public var rxParityBytes: UInt64 = 0
    public var rxParityPackets: UInt64 = 0

    public init() {}

    /// The by-purpose counters (the engine keeps them in a `ConnectionCounts` of its own and the report copies
    /// exactly these).
    public static let trafficKeyPaths: [WritableKeyPath<ConnectionCounts, UInt64>] = [
        \.txDataBytes, \.txDataPackets, \.txDuplicateBytes, \.txDuplicatePackets, \.txProbeBytes, \.txProbePackets,
        \.txControlBytes, \.txControlPackets, \.txReplayBytes, \.txReplayPackets, \.rxDataBytes, \.rxDataPackets, \.rxDuplicateBytes, \.rxDuplicatePackets,
        \.rxProbeBytes, \.rxProbePackets, \.rxControlBytes, \.rxControlPackets,
        \.txParityBytes, \.txParityPackets, \.rxParityBytes, \.rxParityPackets,
    ]

    public static let fieldList: [CounterField<ConnectionCounts>] = [
        .init("tx_bytes", \.txBytes, help: "Bytes sent on this connection (tunnel datagrams)."),
        .init("rx_bytes", \.rxBytes, help: "Bytes received on this connection, duplicates included."),
        .init("tx_packets", \.txPackets, help: "Datagrams sent on this connection."),
        .init("rx_packets", \.rxPackets, help: "Authentic datagrams received on this connection."),
        .init("delivered_first", \.deliveredFirst, help: "Packets this connection delivered before any other copy."),
        .init("duplicates", \.duplicates, help: "Copies that arrived here after another connection's."),
        .init("too_old", \.tooOld, help: "Copies that arrived here too late for the replay window."),
        .init("send_drops", \.sendDrops, help: "Copies dropped because the link's socket refused them."),
        .init("lost", unit: "packets", \.lost, help: "Packets estimated lost on the way here, from the path sequence."),
        .init("tx_data_bytes", \.txDataBytes, help: "Bytes sent here as the first copy of a data packet."),
        .init("tx_data_packets", \.txDataPackets, help: "Datagrams sent here as the first copy of a data packet."),
        .init("tx_duplicate_bytes", \.txDuplicateBytes, help: "Bytes sent here as a further copy (2nd..nth) of a data packet."),
        .init("tx_duplicate_packets", \.txDuplicatePackets, help: "Datagrams sent here as a further copy of a data packet."),
        .init("tx_probe_bytes", \.txProbeBytes, help: "Bytes of probe requests and replies sent here."),
        .init("tx_probe_packets", \.txProbePackets, help: "Probe requests and replies sent here."),
        .init("tx_control_bytes", \.txControlBytes, help: "Bytes of handshakes, control messages and feedback sent here."),
        .init("tx_control_packets", \.txControlPackets, help: "Handshakes, control messages and feedback sent here."),
        .init("tx_replay_bytes", \.txReplayBytes, help: "Bytes of data packets replayed here after a failover takeover."),
        .init("tx_replay_packets", \.txReplayPackets, help: "Data packets replayed here after a failover takeover."),
        .init("rx_data_bytes", \.rxDataBytes, help: "Bytes of data packets this connection delivered first."),
        .init("rx_data_packets", \.rxDataPackets, help: "Data packets this connection delivered first."),
        .init("rx_duplicate_bytes", \.rxDuplicateBytes, help: "Bytes of data copies that arrived here after another copy or too late."),
        .init("rx_duplicate_packets", \.rxDuplicatePackets, help: "Data copies that arrived here after another copy or too late."),
        .init("rx_probe_bytes", \.rxProbeBytes, help: "Bytes of authentic probes received here."),
        .init("rx_probe_packets", \.rxProbePackets, help: "Authentic probes received here."),
        .init("rx_control_bytes", \.rxControlBytes, help: "Bytes of authentic control messages and feedback received here."),
        .init("rx_control_packets", \.rxControlPackets, help: "Authentic control messages and feedback received here."),
        .init("tx_parity_bytes", \.txParityBytes, help: "Bytes of parity messages sent here."),
        .init("tx_parity_packets", \.txParityPackets, help: "Parity messages sent here."),
        .init("rx_parity_bytes", \.rxParityBytes, help: "Bytes of authentic parity messages received here."),
        .init("rx_parity_packets", \.rxParityPackets, help: "Authentic parity messages received here."),
    ]
}
