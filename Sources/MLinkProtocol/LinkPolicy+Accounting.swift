/// The receive half of the by-purpose accounting (the send half is `Connection.recordSent`).
extension TunnelEngine {
    /// Counts an authentic transport message of `bytes` bytes on connection `c` by what it was for, and notes
    /// when the path last carried data (a busy path is probed for fast detection, an idle one cheaply).
    @inline(__always)
    func recordReceived(_ type: WireFormat.MessageType, verdict: ReplayWindow.Verdict, bytes: Int, peer: Peer,
                        connection c: Int, now: UInt64) {
        let purpose: TrafficPurpose
        switch type {
        case .data:
            purpose = verdict == .new ? .data : .duplicate
            noteDataArrival(peer: peer, connection: c, now: now)
            peer.connections[c].previousDataReceived = peer.connections[c].lastDataReceived
            peer.connections[c].lastDataReceived = now
        case .probe: purpose = .probe
        case .parity: purpose = .parity
        default: purpose = .control
        }
        peer.connections[c].statistics.recordReceive(purpose, bytes: bytes)
    }
}
