import MLinkControl
import MLinkFlows
import MLinkTypes

/// Outbound: one call takes inner packets and fills a batch of sealed datagrams; one call takes the send results.
///
/// The daemon reads TUN packets into a `PacketBatch`, calls `encapsulate(_:from:into:now:)`, sends every datagram of
/// the `OutboundBatch` on its slot's socket, marks the ones the kernel refused, and calls `completeTransmission`.
/// A router forwarding a received packet calls `encapsulate(_:length:to:inPlace:into:now:)` with the receive buffer.
/// The pipeline as a whole is written once, at the top of Sources/MLinkDaemon/DataPath.swift.
extension TunnelEngine {
    /// Encapsulates the packets `packets[start...]`: routes each to its peer, chooses one connection per host-side
    /// link, and seals the packet once (in place in its own buffer) and adds one datagram per copy to `out`.
    /// Stops when `out` has no room for the next packet's copies; returns the index of the first packet not
    /// handled (`packets.count` when all were). Packets with no route or connection are counted and consumed;
    /// packets for a peer without a usable session are staged until it has one.
    @inline(__always)
    public func encapsulate(_ packets: PacketBatch, from start: Int = 0, into out: OutboundBatch, now: UInt64) -> Int {
        var index = start
        while index < packets.count {
            let payload = packets.payload(at: index)
            let length = packets.length(at: index)
            if let peer = peer(forOutbound: payload, length: length),
               !encapsulate(payload, length: length, to: peer, inPlace: true, into: out, now: now) {
                break
            }
            index += 1
        }
        return index
    }

    /// Encapsulates one inner packet for peer `peerIndex` into `out`. With `inPlace`, the packet's buffer has
    /// `WireFormat.transportHeaderSize` writable bytes in front and `WireFormat.tagSize` behind, and the packet is
    /// sealed there (it must stay untouched until `out` is sent). Returns false only when `out` lacks room:
    /// nothing was assigned or counted, so the caller sends the batch and calls again. `type` is `.data` for inner
    /// packets and `.control` for control messages (TunnelEngine+Control.swift), which take the same copies.
    @discardableResult
    public func encapsulate(_ packet: UnsafeMutableRawPointer, length: Int, to peerIndex: Int, inPlace: Bool,
                            into out: OutboundBatch, now: UInt64,
                            type: WireFormat.MessageType = .data) -> Bool {
        let peer = peers[peerIndex]
        guard let session = peer.session, isUsable(session, now: now) else {
            // No session yet (the first handshake), or it lapsed (a rekey gap): a data packet waits, copied into
            // the peer's preallocated staging queue (TunnelEngine+Staging.swift). Control messages are not
            // staged: their channel retransmits them.
            if type == .data { stage(packet, length: length, for: peerIndex, now: now) }
            return true
        }
        // Packets that waited for this session leave first, so nothing overtakes them.
        if staging.total > 0, !staging.isFlushing, !flushStaged(peer: peerIndex, into: out, now: now) { return false }
        let plan = type == .data ? self.plan(data: packet, length: length, peer: peer, now: now)
            : PacketPlan(mode: peer.modeOverride ?? configuration.mode, copies: peer.copiesOverride ?? configuration.copies,
                         protect: false, policy: -1, pinnedLink: type == .parity ? peer.parityLink : -1)
        if plan.drop { return true }  // pacing (TunnelEngine+Aggregate.swift): counted there
        peer.selectCopies(into: &copyPlan, isRouter: !peer.dials, mode: plan.mode,
                          copies: plan.avoidLink >= 0 && plan.copies > 0 ? plan.copies + 1 : plan.copies)
        if plan.pinnedLink >= 0 { peer.keepOnly(link: plan.pinnedLink, in: &copyPlan, isRouter: !peer.dials) }
        if plan.avoidLink >= 0 { peer.avoid(link: plan.avoidLink, in: &copyPlan, copies: plan.copies, isRouter: !peer.dials) }
        let copies = copyPlan.count
        if copies == 0 {
            if type == .data { peer.counters.noPath += 1 }
            return true
        }
        guard length + WireFormat.transportOverhead <= out.bufferSize || (inPlace && copies == 1) else {
            globalDrops.oversized += 1
            return true
        }
        // Batch buffers: one for a packet not sealed in place, plus one per further copy unless copies share the
        // sealed body (`out.sharedBodies`: each further copy is only its own header).
        let buffers = (inPlace ? 0 : 1) + (out.sharedBodies ? 0 : copies - 1)
        guard out.hasRoom(datagrams: copies, buffers: buffers) else {
            if out.isEmpty {  // could never fit: more copies than the batch holds
                peer.counters.noPath += 1
                return true
            }
            return false
        }
        switch type {
        case .data: peer.counters.sent += 1
        case .parity: peer.counters.paritySent += 1
        default: peer.counters.controlSent += 1
        }
        peer.session!.sendCounter += 1
        let counter = peer.session!.sendCounter
        let remoteIndex = session.remoteIndex
        let datagramLength = length + WireFormat.transportOverhead
        // One seal for the packet (in place when allowed), then the other copies with their own path id, path
        // sequence and copy tag (PROTOCOL.md section 9): a header in front of the shared body, or a byte copy.
        let sealed: UnsafeMutableRawPointer
        if inPlace {
            sealed = packet - WireFormat.transportHeaderSize
        } else {
            sealed = out.takeBuffer()
            (sealed + WireFormat.transportHeaderSize).copyMemory(from: packet, byteCount: length)
        }
        let first = copyPlan[0]
        TransportHeader(type: type, pathID: peer.connections[first].pathID, receiverIndex: remoteIndex, counter: counter,
                        pathSequence: peer.connections[first].nextSequence).write(to: sealed)
        if type == .data, plan.protect, let parity = peer.paritySender,
           parity.add(sealed + WireFormat.transportHeaderSize, length: length, counter: counter, now: now), parity.pending > 0 {
            noteControlWork(peerIndex)  // the block is full: its parity leaves with the next flush
        }
        if plan.striped { markStriped(sealed, counter: counter, peer: peer, session: session) }
        session.seal(header: sealed, payloadLength: length)
        if type == .data && (plan.mode == .failover || plan.repairable) {
            keepForReplay(sealed, length: datagramLength, peer: peer, now: now, repairable: plan.repairable,
                          policy: plan.policy)
        }
        for copy in 0..<copies {
            let c = copyPlan[copy]
            let message: UnsafeMutableRawPointer
            if copy == 0 {
                message = sealed
            } else if out.sharedBodies {
                let head = out.nextHead()
                head.copyMemory(from: sealed, byteCount: WireFormat.transportHeaderSize)
                LE.put(head, 2, peer.connections[c].pathID)
                LE.put(head, 16, peer.connections[c].nextSequence)
                session.stampCopy(head, tag: sealed + WireFormat.transportHeaderSize + length)
                let purpose: TrafficPurpose = type == .data ? .duplicate : type == .parity ? .parity : .control
                peer.connections[c].recordSent(purpose, bytes: datagramLength, now: now)
                out.append(head, headLength: WireFormat.transportHeaderSize, body: sealed + WireFormat.transportHeaderSize,
                           length: datagramLength, slot: peer.connections[c].slot, destination: peer.connections[c].remote,
                           peer: peerIndex, connection: c, pathID: peer.connections[c].pathID)
                continue
            } else {
                message = out.takeBuffer()
                message.copyMemory(from: sealed, byteCount: datagramLength)
                LE.put(message, 2, peer.connections[c].pathID)
                LE.put(message, 16, peer.connections[c].nextSequence)
                session.stampCopy(message, payloadLength: length)
            }
            let purpose: TrafficPurpose = type == .data ? (copy == 0 ? .data : .duplicate) : type == .parity ? .parity : .control
            peer.connections[c].recordSent(purpose, bytes: datagramLength, now: now)
            out.append(message, length: datagramLength, slot: peer.connections[c].slot,
                       destination: peer.connections[c].remote, peer: peerIndex, connection: c,
                       pathID: peer.connections[c].pathID)
        }
        if type == .data { countPolicy(plan, datagramLength: datagramLength, copies: copies, parityK: peer.paritySender?.k ?? 0) }
        return true
    }

    /// Takes the outcome of sending `out`: counts each datagram marked failed against its connection, then
    /// empties the batch. Call it before the next `tick`, `linkRemoved` or `setRouterEndpoints`.
    public func completeTransmission(_ out: OutboundBatch) {
        for i in 0..<out.count where out.isFailed(i) {
            let p = Int(out.peers[i]), c = Int(out.connections[i])
            guard p >= 0, p < peers.count, c >= 0 else { continue }
            let peer = peers[p]
            guard c < peer.connections.count, peer.connections[c].pathID == out.pathIDs[i] else { continue }
            peer.connections[c].statistics.sendDrops += 1
            noteSendFailure(peer: peer, connection: c)
        }
        out.removeAll()
    }
}

extension Connection {
    /// Records a datagram of `bytes` bytes sealed for this path for `purpose`.
    @inline(__always)
    mutating func recordSent(_ purpose: TrafficPurpose, bytes: Int, now: UInt64) {
        nextSequence &+= 1
        lastSent = now
        if purpose == .data || purpose == .duplicate || purpose == .replay {
            previousDataSent = lastDataSent
            lastDataSent = now
        }
        statistics.recordTransmit(purpose, bytes: bytes)
    }
}
