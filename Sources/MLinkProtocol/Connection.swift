import MLinkTypes

/// One path between a local link and a remote endpoint (the seed's "connection").
///
/// A host knows its connections in advance (every local link x every router endpoint); a router learns them from
/// authenticated packets and follows a remote endpoint that changes (NAT rebinding, roaming).
public struct Connection {
    /// Liveness, from what this end has received on the path.
    public enum State: String {
        /// Nothing received yet.
        case probing
        /// Answers on time, little recent loss.
        case up
        /// Still answers, but an expected reply is missing or recent loss is high.
        case degraded
        /// Several expected replies are missing (see `TunnelEngine.updateStates` for the thresholds).
        case down
        /// Host side: never answered for `Connection.unreachableAfter` while another path to the peer did (an
        /// impossible pairing: a link with no way to that router address). Probed at most every
        /// `Connection.unreachableProbeInterval`; up again at its first answer.
        case unreachable
    }

    /// The local socket (link) the path uses: an index into the daemon's link table.
    public var slot: Int
    /// The local link's name, for reports.
    public var linkName: String
    /// The local address the socket is bound to.
    public var local: SocketAddress
    /// The remote endpoint; updated when an authenticated packet arrives from elsewhere on the same path.
    public var remote: SocketAddress
    /// Our id for this path, sent in every header (high byte: our link number).
    public var pathID: UInt16
    /// The other end's path id, as last seen (high byte: its link number). Router groups copies by it.
    public var remotePathID: UInt16 = 0
    /// Next path sequence number to send.
    public var nextSequence: UInt32 = 0
    /// The session (our receiver index) and highest counter this path carried: a copy newer than that proves the
    /// path alive even when another link delivered it first.
    var counterSession: UInt32 = 0
    var highestCounter: UInt64 = 0
    /// Monotonic time of the last authenticated packet received (0: never).
    public var lastReceived: UInt64 = 0
    /// Monotonic time of the last packet sent.
    public var lastSent: UInt64 = 0
    /// Monotonic time of the last data copy sent and of the last data copy received, new or duplicate (0:
    /// never): a connection carrying data in either direction is busy and probed for fast detection; an idle
    /// one is probed at the standby rate (TunnelEngine+Probes.swift).
    public var lastDataSent: UInt64 = 0
    public var lastDataReceived: UInt64 = 0
    /// The data copy before the last one, each way: one stray packet is not a flow (LinkPolicy+Probing.swift).
    var previousDataSent: UInt64 = 0
    var previousDataReceived: UInt64 = 0
    /// When a datagram sealed for this path last failed to leave (the kernel refused it), 0: never; in failover
    /// mode the path is not healthy until something arrives after it (LinkPolicy+Failover.swift).
    public internal(set) var sendFailedAt: UInt64 = 0
    /// The probe interval the host chose for this path at the last tick (ns; 0: not yet), the one in effect
    /// when the last authentic packet arrived (silence is judged against that rate: an idle path that becomes
    /// busy is not "silent" at the fast rate for replies the slow rate never asked for), and the probes sent
    /// since that packet (each one older than a reply takes is a missing reply).
    public var probeIntervalInEffect: UInt64 = 0
    var livenessInterval: UInt64 = 0
    /// The interval the last probe request announced (a router times its liveness decisions by it).
    var announcedInterval: UInt64 = 0
    var probesSinceReceived: UInt32 = 0
    /// Receiver feedback (LinkPolicy+Feedback.swift): the smoothed gap between data packets arriving here (ns),
    /// the arrival already reported silent (one PATH_SILENT per silence), when the other end reported this path
    /// silent, and since when it has been clean (failback waits from then).
    var dataGap: UInt64 = 0
    /// The largest data gap (ns) of the current and of the previous 16 gaps (PATH_SILENT), and how many gaps
    /// the current window holds.
    var dataGapPeak: UInt64 = 0
    var dataGapPeakBefore: UInt64 = 0
    var dataGapWindow: UInt8 = 0
    /// When the current stream's first data packet arrived (PATH_SILENT: a stream is steady after 200 ms).
    var streamSince: UInt64 = 0
    /// How many gaps `dataGap` is made of (saturating): an alarm needs a steady stream, not a stream's first packets.
    var dataGapSamples: UInt8 = 0
    var silenceReported: UInt64 = 0
    public internal(set) var alarmedAt: UInt64 = 0
    var cleanSince: UInt64 = 0
    /// FEEDBACK (kind 34): this path's forward loss as the peer reports it, NACK bursts, summary state
    /// (TunnelEngine+Feedback.swift).
    var feedback = PathFeedback()
    /// Monotonic time of the last probe sent.
    public var lastProbe: UInt64 = 0
    /// How much later than due that probe left (ns): this host's own lateness (a stall, a late tick), which
    /// `awaitedSilence` does not count as the path's silence.
    var probeLateness: UInt64 = 0
    /// When the state last changed.
    public var stateChanged: UInt64 = 0
    public var state: State = .probing
    public var statistics = PathStatistics()
    /// Host side: the last cookie the router sent on this path (its value binds this link's source address and
    /// port), for mac2 while younger than 120 s (docs/PROTOCOL.md section 5.2).
    var cookie: Cookie?
    /// Host side: when the timers first saw this path without an answer (0: not yet), for `unreachable`.
    var unansweredSince: UInt64 = 0

    public init(slot: Int, linkName: String, local: SocketAddress, remote: SocketAddress, pathID: UInt16) {
        self.slot = slot
        self.linkName = linkName
        self.local = local
        self.remote = remote
        self.pathID = pathID
    }

    /// Records an authenticated datagram of `bytes` bytes: the path is alive now.
    @inline(__always)
    mutating func markReceived(bytes: Int, now: UInt64) {
        lastReceived = now
        livenessInterval = probeIntervalInEffect
        probesSinceReceived = 0
        if state == .down || state == .probing || state == .unreachable {
            state = .up
            stateChanged = now
        }
        statistics.rxPackets += 1
        statistics.rxBytes += UInt64(bytes)
    }

    /// The group a copy is planned per: the host-side link of the path (ours on a host, the peer's on a router).
    @inline(__always)
    func group(isRouter: Bool) -> UInt16 {
        isRouter ? remotePathID >> 8 : pathID >> 8
    }
}
