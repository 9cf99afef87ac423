import MLinkControl
import MLinkTypes

/// Control messages (PROTOCOL.md section 14), engine events and dynamic prefixes: what the daemon's leases,
/// routes and link policy build on.
///
/// Sending: `sendControl` queues a message in the peer's `ControlChannel`; `flushControl` (also run by `tick`) seals
/// what is due into the outbound batch, taking the same copies as data. Receiving: `receive` acknowledges and
/// consumes ACKs itself and returns `.control` for every other new message; the daemon parses the body in place.
extension TunnelEngine {
    /// Something the daemon may act on, drained with `drainEvents`.
    public enum Event: Equatable, Sendable {
        /// A new session with the peer is usable (the first one, or one after a rekey or a restart).
        case sessionEstablished(peer: Int)
        /// The first connection to the peer came up (or degraded) after none was.
        case bundleUp(peer: Int)
        /// No connection to the peer is up or degraded any more.
        case bundleDown(peer: Int)
        /// Host: the router traffic goes to changed to `peer` (TunnelEngine+Routers.swift).
        case currentRouterChanged(peer: Int)
        /// Failover mode: the peer's data moved from connection `from` (-1: none) to connection `to`, for `reason`
        /// (LinkPolicy+Failover.swift); the daemon logs it.
        case failoverSwitched(peer: Int, from: Int, to: Int, reason: FailoverReason)
        /// The peer's data on connection `connection` stopped for `silence` ns, beyond the `threshold` its gaps
        /// allow: PATH_SILENT went out on the other links (LinkPolicy+Feedback.swift); the daemon logs it.
        /// `tickGap`: how long before this tick the previous one ran (ns).
        case pathSilenceReported(peer: Int, connection: Int, silence: UInt64, threshold: UInt64, tickGap: UInt64)
    }

    /// Queues a control message for `peerIndex`; returns its seq. Reliable and full-state messages are sent
    /// again until acknowledged (a full-state one replaces the pending older message of its kind).
    @discardableResult
    public func sendControl(to peerIndex: Int, kind: UInt8, flags: UInt8 = 0, body: UnsafeRawBufferPointer,
                            reliability: ControlReliability) throws(ControlSendError) -> UInt32 {
        let peer = peers[peerIndex]
        do {
            let seq = try peer.control.queue(kind: kind, flags: flags, body: body, reliability: reliability)
            noteControlWork(peerIndex)
            return seq
        } catch let error as ControlSendError {
            if error == .tooManyPending { peer.counters.controlOverflow += 1 }
            throw error
        } catch {
            preconditionFailure("ControlChannel.queue throws only ControlSendError")
        }
    }

    /// `sendControl` with the body in an array (not for per-packet use: the caller's array is its own allocation).
    @discardableResult
    public func sendControl(to peerIndex: Int, kind: UInt8, flags: UInt8 = 0, body: [UInt8],
                            reliability: ControlReliability) throws(ControlSendError) -> UInt32 {
        var result: Result<UInt32, ControlSendError> = .failure(.tooManyPending)
        body.withUnsafeBytes { bytes in
            do throws(ControlSendError) {
                result = .success(try sendControl(to: peerIndex, kind: kind, flags: flags, body: bytes, reliability: reliability))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// True when some peer has control messages or ACKs waiting (the daemon then calls `flushControl`).
    public var hasControlWork: Bool { !controlWork.isEmpty }

    /// The peer's control messages still waiting for an ACK or their first transmission.
    public func pendingControlCount(of peerIndex: Int) -> Int {
        peers[peerIndex].control.slots.reduce(0) { $0 + ($1.inUse ? 1 : 0) }
    }

    /// The daemon found a control message it cannot use: of an unknown kind, or with a malformed body.
    public func countControl(from peerIndex: Int, unknown: Bool) {
        if unknown { peers[peerIndex].counters.controlUnknown += 1 } else { peers[peerIndex].counters.controlMalformed += 1 }
    }

    /// Seals the ACKs owed and the control messages due at `now` into `out`. Stops when `out` is full (the rest
    /// waits for the next call). `tick` calls it; the daemon may call it after a receive batch so ACKs and
    /// answers leave at once.
    public func flushControl(now: UInt64, into out: OutboundBatch) {
        var i = 0
        while i < controlWork.count {
            let peerIndex = controlWork[i]
            let peer = peers[peerIndex]
            guard let session = peer.session, isUsable(session, now: now), !peer.connections.isEmpty else {
                i += 1
                continue
            }
            if peer.failoverDue {  // a PATH_SILENT on the active link: take over now, not at the next tick
                peer.failoverDue = false
                updateFailover(peer, peerIndex: peerIndex, now: now, into: out)
            }
            if peer.adaptiveDue {  // a PATH_SILENT: re-plan now (TunnelEngine+Policy.swift)
                peer.adaptiveDue = false
                updateAdaptive(peer, peerIndex: peerIndex, now: now, into: out)
            }
            let scratch = controlScratch
            // The ACKs first: they are what the other side's retransmission timer waits for.
            let ackLength = peer.control.writeAck(into: scratch)
            if ackLength > 0, !sendControlPayload(scratch, length: ackLength, to: peerIndex, into: out, now: now) {
                return
            }
            while let slot = peer.control.due(at: now) {
                let entry = peer.control.slots[slot]
                entry.bytes.withUnsafeBytes { scratch.copyMemory(from: $0.baseAddress!, byteCount: entry.length) }
                guard sendControlPayload(scratch, length: entry.length, to: peerIndex, into: out, now: now) else { return }
                if entry.transmissions > 0 { peer.counters.controlRetransmits += 1 }
                peer.control.sent(slot, now: now)
            }
            guard flushParity(of: peerIndex, now: now, into: out),
                  flushRepairs(of: peerIndex, now: now, into: out) else { return }
            if peer.control.isIdle, (peer.paritySender?.pending ?? 0) == 0, peer.pendingRepairs.count == 0 {
                peer.hasControlWork = false
                controlWork.swapAt(i, controlWork.count - 1)
                controlWork.removeLast()
            } else {
                i += 1
            }
        }
    }

    /// Seals one control payload for `peerIndex` (copied into a buffer of `out`). False when `out` is full.
    private func sendControlPayload(_ payload: UnsafeMutableRawPointer, length: Int, to peerIndex: Int,
                                    into out: OutboundBatch, now: UInt64) -> Bool {
        if encapsulate(payload, length: length, to: peerIndex, inPlace: false, into: out, now: now, type: .control) {
            return true
        }
        return false
    }

    /// Adds `peerIndex` to the peers `flushControl` looks at.
    func noteControlWork(_ peerIndex: Int) {
        let peer = peers[peerIndex]
        guard !peer.hasControlWork else { return }
        peer.hasControlWork = true
        controlWork.append(peerIndex)
    }

    /// A new, authentic control message from `peerIndex` (its payload decrypted at `payload`).
    func receiveControl(_ payload: UnsafeMutableRawPointer, length: Int, from peerIndex: Int, offset: Int) -> Verdict {
        let peer = peers[peerIndex]
        guard let header = ControlHeader.read(from: payload, length: length) else {
            peer.counters.controlMalformed += 1
            return .none
        }
        peer.counters.controlReceived += 1
        if header.kind == ControlKind.ack {
            guard header.flags == 0, header.bodyLength > 0, header.bodyLength % 4 == 0,
                  header.bodyLength <= 4 * ControlChannel.maximumAcksPerMessage else {
                peer.counters.controlMalformed += 1
                return .none
            }
            for i in 0..<(header.bodyLength / 4) { peer.control.acknowledge(LE.u32(payload, ControlHeader.size + 4 * i)) }
            return .none
        }
        if header.flags & ControlHeader.ackRequested != 0 {
            peer.control.owe(header.seq)
            noteControlWork(peerIndex)
        }
        return .control(peer: peerIndex, kind: header.kind, flags: header.flags & 0x7f,
                        offset: offset + ControlHeader.size, length: header.bodyLength)
    }

    // MARK: Events

    /// Hands every event since the last call to `body`, oldest first, and forgets them.
    public func drainEvents(_ body: (Event) -> Void) {
        guard !events.isEmpty else { return }
        for event in events { body(event) }
        events.removeAll(keepingCapacity: true)
    }

    func record(_ event: Event) {
        // Bounded: a daemon that never drains must not make the engine grow.
        if events.count >= 1024 { events.removeFirst() }
        events.append(event)
    }

    /// Emits `bundleUp`/`bundleDown` when the peer's bundle changed.
    func noteBundleState(of peerIndex: Int) {
        let peer = peers[peerIndex]
        let up = peer.connections.contains { $0.state == .up || $0.state == .degraded }
        guard up != peer.bundleIsUp else { return }
        peer.bundleIsUp = up
        record(up ? .bundleUp(peer: peerIndex) : .bundleDown(peer: peerIndex))
    }

    // MARK: Dynamic prefixes

    /// Sets the prefixes `owner` gives `peerIndex` at run time (replacing what that owner gave before). On a
    /// router they join the peer's routes and its inner source check; on a host (the router is peer 0) they extend
    /// what the router may send from. Static allowed-ips are untouched.
    public func setDynamicPrefixes(_ prefixes: [IPNetwork], owner: DynamicPrefixOwner, peer peerIndex: Int) {
        let peer = peers[peerIndex]
        peer.dynamicPrefixes[owner] = prefixes.isEmpty ? nil : prefixes
        var accepted = peer.allowedIPs
        for key in DynamicPrefixOwner.allCases { accepted += peer.dynamicPrefixes[key] ?? [] }
        peer.acceptedSources = accepted
        if case .router(let router) = role { router.routes = RoutingTable(peers: peers) }
    }
}

/// Who added a dynamic prefix (`TunnelEngine.setDynamicPrefixes`).
public enum DynamicPrefixOwner: Hashable, CaseIterable, Sendable {
    /// A leased address (router side).
    case lease
    /// A prefix the peer announced and the router accepted (router side).
    case announcement
    /// A route the router distributed and the host accepted (host side).
    case distributed
    /// A route imported from the kernel via a router peer (router side, issue 16).
    case imported
}
