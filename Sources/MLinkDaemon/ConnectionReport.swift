import MLinkProtocol

/// One connection's derived figures, computed one way for `show` and for the metrics endpoint.
struct ConnectionReport {
    /// Smoothed RTT and its variation (RFC 6298 SRTT and RTTVAR), in seconds; 0 before the first sample.
    var rttSeconds: Double
    var jitterSeconds: Double
    /// Share of packets lost, 0...1: from the per-path sequence numbers, and on a host also from unanswered
    /// probes (the newest probe may still be in flight, so it is not counted).
    var loss: Double
    /// Share of the peer's delivered packets that this connection brought first, 0...1.
    var firstShare: Double

    init(_ connection: Connection, peerDelivered: UInt64, isRouter: Bool) {
        let s = connection.statistics
        rttSeconds = Double(s.smoothedRTT) / 1e9
        jitterSeconds = Double(s.rttVariation) / 1e9
        let probeLoss = s.probesSent > 4 ? max(0, 1 - Double(s.probeRepliesReceived) / Double(s.probesSent - 1)) : 0
        let seen = Double(s.rxPackets) + Double(s.lostEstimate)
        let pathLoss = seen > 0 ? Double(s.lostEstimate) / seen : 0
        loss = isRouter ? pathLoss : max(probeLoss, pathLoss)
        firstShare = Double(s.deliveredFirst) / Double(max(peerDelivered, 1))
    }
}
