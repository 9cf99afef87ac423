import MLinkControl

/// Staging: inner packets for a peer with no usable session wait in its `StagingQueue` and leave, in order and
/// once, as soon as a session is up (docs/PROTOCOL.md section 5, "Staging").
///
/// When they leave: the daemon calls `flushStaged(into:now:)` after each batch of received datagrams (a host's
/// session comes up when the response arrives, a router's when the host's first transport message confirms it)
/// and the engine calls it at every `tick`; a packet for a peer that still has packets waiting is sent behind
/// them, never ahead (`encapsulate` flushes the peer's queue first).
///
/// Why an earlier staging ring was reverted (tests/integration/55-routed-ipv6.sh then found its second link h2
/// still `probing` when it counted copies): not a staging bug but a race it exposed. In that lab h2's first
/// answers wait up to a second in the "internet" namespace's IPv6 neighbour discovery (rti's entry for fd12::2
/// stays INCOMPLETE until the solicitation is retransmitted, so h2's first probe reply arrives ~600 ms late,
/// measured on main without staging as well). With staging the test's first echo is no longer lost, its
/// `ping -c 5` ends ~200 ms sooner, and the copy count started before h2 answered. Staged packets leave only on
/// connections that have heard from the peer (at first the link the response came in on); the other paths are
/// confirmed by the probes the host sends on every connection when the response arrives. The test now waits for
/// both links to be up before it counts.
extension TunnelEngine {
    /// Keeps `packet` for peer `peerIndex`, which has no usable session; counts what is dropped instead.
    @inline(__always)
    func stage(_ packet: UnsafeRawPointer, length: Int, for peerIndex: Int, now: UInt64) {
        guard !staging.isFlushing else {
            peers[peerIndex].counters.noPath += 1
            return
        }
        let dropped = staging.stage(packet, length: length, for: peerIndex, now: now,
                                    maximumAge: configuration.maximumCopyAge)
        peers[peerIndex].counters.stagingDrops += UInt64(dropped)
    }

    /// True when some packet waits for a session (one comparison: the daemon may ask after every read batch).
    @inline(__always)
    public var hasStagedPackets: Bool { staging.total > 0 }

    /// Sends, in order, the staged packets of every peer that now has a usable session and a connection that
    /// has heard from it; packets that waited longer than the maximum copy age are dropped (counted). Returns
    /// false when `out` filled up first: send it, complete it, and call again.
    @discardableResult
    public func flushStaged(into out: OutboundBatch, now: UInt64) -> Bool {
        guard staging.total > 0 else { return true }
        for peerIndex in peers.indices where staging.hasPackets(for: peerIndex) {
            guard flushStaged(peer: peerIndex, into: out, now: now) else { return false }
        }
        return true
    }

    /// One peer's part of `flushStaged(into:now:)`.
    @inline(__always)
    func flushStaged(peer peerIndex: Int, into out: OutboundBatch, now: UInt64) -> Bool {
        let peer = peers[peerIndex]
        guard let queue = staging.queues[peerIndex], !queue.isEmpty else { return true }
        let expired = queue.expire(now: now, maximumAge: configuration.maximumCopyAge)
        staging.removed(expired)
        peer.counters.stagingDrops += UInt64(expired)
        guard let session = peer.session, isUsable(session, now: now),
              peer.connections.contains(where: { $0.lastReceived != 0 }) else { return true }
        staging.isFlushing = true
        defer { staging.isFlushing = false }
        while !queue.isEmpty {
            let (packet, length) = queue.first
            // Not in place: the queue's slot has no headroom, and it is reused once the packet is out.
            guard encapsulate(packet, length: length, to: peerIndex, inPlace: false, into: out, now: now) else {
                return false
            }
            queue.removeFirst()
            staging.removed(1)
            peer.counters.staged += 1
        }
        return true
    }
}
