import MLinkControl
import MLinkParity
import MLinkTypes

/// Parity (PROTOCOL.md section 15): a sender closes a block every k data packets (or after `maximumDelay`) and
/// sends m parity messages with the same copies as data; a receiver keeps the peer's recent packets while parity
/// comes, and rebuilds the ones that did not arrive. A rebuilt packet is recorded in the replay window under its
/// own counter, so its late original is a duplicate, and is then routed like any data packet.
extension TunnelEngine {
    /// Protects what this side sends to `peerIndex` with k data + m parity blocks, closed after `maximumDelay` at
    /// the latest; nil `k` stops. Packets longer than `maximumPacket` go without parity.
    public func setParity(peer peerIndex: Int, k: Int?, m: Int = 1, maximumDelay: UInt64 = 20_000_000,
                          maximumPacket: Int = 1500) {
        guard let k else {
            peers[peerIndex].paritySender = nil
            return
        }
        precondition((1...ParityPayload.maximumK).contains(k) && (1...ParityPayload.maximumM).contains(m)
                     && k + m <= ParityPayload.maximumShards, "parity \(k)+\(m)")
        peers[peerIndex].paritySender = ParitySender(k: k, m: m, maximumDelay: maximumDelay, maximumPacket: maximumPacket)
    }

    /// What to do with rebuilt packet `index` (0..<count of `.recovered`): `.deliver` or `.forward` with offsets into
    /// `recoveredBuffer(index)`, or `.none` (dropped and counted, e.g. an inner source outside allowed-ips).
    public func recovered(_ index: Int) -> Verdict {
        route(inbound: recoveredBuffer(index) + WireFormat.transportHeaderSize, length: recoveredLengths[index],
              from: recoveredPeer)
    }

    /// The buffer of rebuilt packet `index`: the packet at `WireFormat.transportHeaderSize`, room for a tag behind.
    /// Valid until the next `receive`.
    public func recoveredBuffer(_ index: Int) -> UnsafeMutableRawPointer {
        recoveredBuffers + index * TunnelEngine.recoveredStride
    }

    /// Closes the partly filled blocks that waited long enough (from `tick`).
    func closeDueParityBlocks(of peerIndex: Int, now: UInt64) {
        guard let parity = peers[peerIndex].paritySender else { return }
        parity.closeIfDue(now: now)
        if parity.pending > 0 { noteControlWork(peerIndex) }
    }

    /// Seals the pending parity messages of `peerIndex` into `out`; false when `out` filled up first.
    func flushParity(of peerIndex: Int, now: UInt64, into out: OutboundBatch) -> Bool {
        guard let parity = peers[peerIndex].paritySender else { return true }
        while parity.pending > 0 {
            let length = parity.writeNext(into: controlScratch)
            guard encapsulate(controlScratch, length: length, to: peerIndex, inPlace: false, into: out, now: now,
                              type: .parity) else { return false }
            parity.sentOne()
        }
        return true
    }

    /// A new, authentic parity message from `peerIndex`.
    func receiveParity(_ payload: UnsafeMutableRawPointer, length: Int, from peerIndex: Int, window: ReplayWindow,
                       now: UInt64) -> Verdict {
        let peer = peers[peerIndex]
        guard let header = ParityPayload.read(payload, length: length) else {
            peer.counters.parityMalformed += 1
            return .none
        }
        peer.counters.parityReceived += 1
        if peer.parityReceiver == nil { peer.parityReceiver = ParityReceiver(maximumPacket: 1500) }
        let receiver = peer.parityReceiver!
        receiver.lastParity = now
        let slot = receiver.block(for: header, now: now, maximumAge: configuration.maximumCopyAge)
        let block = receiver.blocks[slot].block!
        guard header.shardLength <= block.shardCapacity else {
            peer.counters.parityMalformed += 1
            return .none
        }
        block.setParity(header.index, payload + header.shardOffset, length: header.shardLength)
        // Which data packets are here (kept), which are lost (new to the window), which cannot be had either way.
        var lost: UInt64 = 0
        for i in 0..<header.k where block.present & (1 << UInt64(i)) == 0 {
            let counter = header.counter(i, in: payload)
            if let (packet, packetLength) = receiver.kept(counter) {
                block.setData(i, packet, length: packetLength)
            } else if window.check(counter, now: now) == .new {
                lost |= 1 << UInt64(i)
            }
        }
        guard lost != 0 else {
            if block.missingData == 0 { receiver.blocks[slot].inUse = false }
            return .none
        }
        guard block.recover() else { return .none }  // waits for more shards of the block
        receiver.blocks[slot].inUse = false
        var count = 0
        for i in 0..<header.k where lost & (1 << UInt64(i)) != 0 {
            let counter = header.counter(i, in: payload)
            let packet = block.data(i)
            guard packet.count > 0, packet.count <= TunnelEngine.recoveredStride - WireFormat.transportOverhead,
                  window.check(counter, now: now) == .new else { continue }
            window.record(counter, now: now)
            (recoveredBuffer(count) + WireFormat.transportHeaderSize).copyMemory(from: packet.baseAddress!, byteCount: packet.count)
            recoveredLengths[count] = packet.count
            count += 1
            peer.counters.parityRecovered += 1
            peer.counters.delivered += 1
        }
        recoveredPeer = peerIndex
        return count == 0 ? .none : .recovered(peer: peerIndex, count: count)
    }
}
