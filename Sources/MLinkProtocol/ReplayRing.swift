import MLinkControl
/// The last sealed data packets sent to a peer, so a takeover can replay them on the new link and a NACK can
/// be answered by a repair on another link (PROTOCOL.md section 14.3, "Replay" and "Cross-link repair").
///
/// Preallocated on first use (failover or adaptive mode) and never grown: storing a packet is one byte copy into
/// the oldest slot. A replay or a repair is a further copy of the stored datagram (same counter and ciphertext,
/// the new path's id, sequence and copy tag), never a second seal. 256 slots hold one 150 ms deadline of packets
/// up to about 1700 packets/s.
final class ReplayRing {
    static let capacity = 256
    let slotSize: Int
    private let storage: UnsafeMutableRawPointer
    private(set) var lengths = [Int](repeating: 0, count: ReplayRing.capacity)
    private(set) var times = [UInt64](repeating: 0, count: ReplayRing.capacity)
    /// The session (remote index) each packet was sealed under: a replay after a rekey would not authenticate.
    private(set) var sessions = [UInt32](repeating: 0, count: ReplayRing.capacity)
    /// Which host-side links already carried each packet (a bit per link number modulo 64).
    private(set) var links = [UInt64](repeating: 0, count: ReplayRing.capacity)
    /// Each packet's session counter, and whether a NACK may be answered with a repair (adaptive mode's packets;
    /// failover's stay on the active link until a takeover).
    private(set) var counters = [UInt64](repeating: 0, count: ReplayRing.capacity)
    private(set) var repairable = [Bool](repeating: false, count: ReplayRing.capacity)
    /// Each packet's policy (an index into the engine's `policyCounts`, -1 without policies): its repairs and
    /// replays are counted against it.
    private(set) var policies = [Int16](repeating: -1, count: ReplayRing.capacity)
    private var next = 0

    init(slotSize: Int) {
        self.slotSize = slotSize
        storage = .allocate(byteCount: ReplayRing.capacity * slotSize, alignment: 64)
    }

    deinit { storage.deallocate() }

    /// Keeps the sealed datagram at `datagram`; `linkMask` says which links carried it.
    @inline(__always)
    func store(_ datagram: UnsafeRawPointer, length: Int, session: UInt32, linkMask: UInt64, now: UInt64,
               repairable mayRepair: Bool = false, policy: Int = -1) {
        guard length <= slotSize else { return }
        counters[next] = LE.u64(datagram, 8)
        repairable[next] = mayRepair
        policies[next] = Int16(truncatingIfNeeded: policy)
        (storage + next * slotSize).copyMemory(from: datagram, byteCount: length)
        lengths[next] = length
        times[next] = now
        sessions[next] = session
        links[next] = linkMask
        next = (next + 1) % ReplayRing.capacity
    }

    /// The stored packets sent at or after `since`, oldest first: (slot pointer, length, session, link mask, policy).
    func forEach(since: UInt64, _ body: (UnsafeMutableRawPointer, Int, UInt32, UInt64, Int) -> Bool) {
        for step in 0..<ReplayRing.capacity {
            let i = (next + step) % ReplayRing.capacity
            guard lengths[i] > 0, times[i] >= since else { continue }
            if !body(storage + i * slotSize, lengths[i], sessions[i], links[i], Int(policies[i])) { return }
        }
    }

    /// When the first stored packet sent on path `pathID` with a path sequence after `sequence` (modulo 2^32) left,
    /// or nil when none is held (PATH_SILENT: was the silence the path's or the sender's?).
    func firstSent(onPath pathID: UInt16, after sequence: UInt32) -> UInt64? {
        var first: UInt64?
        for i in 0..<ReplayRing.capacity where lengths[i] > 0 {
            let datagram = storage + i * slotSize
            let distance = LE.u32(datagram, 16) &- sequence
            guard LE.u16(datagram, 2) == pathID, distance != 0, distance < 0x8000_0000 else { continue }
            first = min(first ?? .max, times[i])
        }
        return first
    }

    /// The slot holding `counter` sealed under `session`, if it is still held.
    func slot(of counter: UInt64, session: UInt32) -> Int? {
        // Newest first: a NACK names recent counters.
        for step in 1...ReplayRing.capacity {
            let i = (next - step + ReplayRing.capacity) % ReplayRing.capacity
            guard lengths[i] > 0 else { return nil }
            if counters[i] == counter && sessions[i] == session { return i }
            if counters[i] < counter && sessions[i] == session { return nil }  // older from here on
        }
        return nil
    }

    /// The datagram, length, send time, link mask and policy of slot `i`.
    func entry(_ i: Int) -> (datagram: UnsafeMutableRawPointer, length: Int, sentAt: UInt64, links: UInt64, policy: Int) {
        (storage + i * slotSize, lengths[i], times[i], links[i], Int(policies[i]))
    }

    /// Records that slot `i`'s packet also went out on the link of bit `bit`.
    func markCarried(_ i: Int, bit: UInt64) { links[i] |= bit }
}

extension TunnelEngine {
    /// Replays the packets sent to `peer` within `replayAge` that did not leave on `link`, as copies on
    /// connection `c` (which belongs to `link`). Stops when `out` is full.
    func replay(_ peer: Peer, peerIndex: Int, onto c: Int, link: Int, now: UInt64, into out: OutboundBatch) {
        guard let ring = peer.replayRing, let session = peer.session else { return }
        let bit = UInt64(1) << UInt64(link & 63)
        ring.forEach(since: now &- min(now, configuration.replayAge)) { datagram, length, sealedUnder, mask, policy in
            guard sealedUnder == session.remoteIndex, mask & bit == 0 else { return true }
            guard out.hasRoom(datagrams: 1, buffers: 1), length <= out.bufferSize else { return false }
            appendCopy(of: datagram, length: length, session: session, peer: peer, peerIndex: peerIndex, onto: c,
                       purpose: .replay, now: now, into: out)
            peer.counters.replayed += 1
            if policy >= 0 { policyCounts[policy].replayBytes += UInt64(length) }
            return true
        }
    }

    /// Appends to `out` a further copy (PROTOCOL.md section 9) of the sealed datagram at `datagram` on connection
    /// `c`: the same counter and ciphertext, `c`'s path id and next path sequence, a new copy tag. The caller
    /// checked that `out` has room.
    func appendCopy(of datagram: UnsafeRawPointer, length: Int, session: Session, peer: Peer, peerIndex: Int,
                    onto c: Int, purpose: TrafficPurpose, now: UInt64, into out: OutboundBatch) {
        let message = out.takeBuffer()
        message.copyMemory(from: datagram, byteCount: length)
        LE.put(message, 2, peer.connections[c].pathID)
        LE.put(message, 16, peer.connections[c].nextSequence)
        session.stampCopy(message, payloadLength: length - WireFormat.transportOverhead)
        peer.connections[c].recordSent(purpose, bytes: length, now: now)
        out.append(message, length: length, slot: peer.connections[c].slot, destination: peer.connections[c].remote,
                   peer: peerIndex, connection: c, pathID: peer.connections[c].pathID)
    }
}
