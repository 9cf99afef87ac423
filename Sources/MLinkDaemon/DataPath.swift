import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// The data path. The pipeline, written once (the engine and ARCHITECTURE.md point here):
///
/// Outbound, TUN to links (`drainTun`):
///   1. The TUN device is readable: packets are read straight into the `PacketBatch` buffers, each behind 28
///      bytes of headroom and ahead of 16 bytes of tailroom. With TUN offloads (IFF_VNET_HDR, TSO4/6, CSUM) the
///      virtio header lands in the headroom; a partial checksum is completed, a TCP super-packet of up to 64 KiB
///      is cut into MSS-sized segments (TunOffload.swift). Delivered packets get an all-zero virtio header.
///   2. One engine call, `encapsulate(packets, into: out)`: per packet the peer (host: the router; router: longest
///      prefix of the destination), the copies (one connection per host-side link, the best one), one counter for
///      all copies, one seal per packet (in place), one `OutboundBatch` entry per copy (slot, destination, bytes:
///      a further copy is its own 28-byte header in front of the shared sealed body). When `out` fills up, it is
///      flushed and the call continues where it stopped.
///   3. `flush`: per link slot, that slot's datagrams leave with one `sendmmsg` (a shared-body copy as two iovec
///      entries; runs of equal-sized datagrams as one UDP GSO send); the ones the kernel refused (queue
///      full, unreachable) are marked failed, so a stalled link loses its own copies only.
///   4. `completeTransmission(out)`: the engine counts failed copies per connection and empties the batch.
/// Inbound, links to TUN or another peer (`drainSocket`):
///   1. A link socket is readable: up to 32 buffers with one `recvmmsg`; with UDP GRO a buffer may hold several
///      datagrams of one sender, each then handled where it lies.
///   2. `receive` per datagram: header, session, tag (verified before anything changes), replay window,
///      connection (learned or moved on a router only by a new authentic counter), decrypt (new packets only),
///      allowed-ips of the sender, route.
///   3. The verdict: deliver (queued in the coalescer; at the end of the batch, or as soon as 64 datagrams (not TCP)
///      wait (`deliveryBurst`), consecutive segments of one TCP flow, or UDP flow with USO, leave as one super-packet
///      with a virtio GSO header, the rest one write each: TunCoalescer.swift; without a virtio header, one TUN
///      write at once), forward (router: encapsulated in
///      place into `out`, which is flushed before the next read reuses the receive buffers), reply (handshake response or probe reply, sent back on
///      the same socket), or nothing (dropped and counted).
/// Timers (every `tickInterval`): `tick` writes probes and initiations into `out`, flushed like data.
extension ForwardingCore {
    /// Reads packets from the TUN device into the packet batch (at most 64 reads per wake-up, so the links get
    /// their turn) and sends them; TCP super-packets from TSO are cut into segments first (TunOffload.swift).
    @inline(__always)
    func drainTun() throws {
        let virtio = tun.hasVirtioHeader ? TunDevice.virtioHeaderSize : 0
        packets.removeAll()
        for _ in 0..<64 {
            if packets.isFull { sendPackets() }
            // With a virtio header it lands in the slot's headroom, in front of the packet.
            let slot = packets.payload(at: packets.count)
            guard let length = try tun.readPacket(into: slot - virtio, capacity: packets.packetCapacity + virtio) else { break }
            statistics.tunReadPackets += 1
            if virtio == 0 {
                if length > 0 { packets.append(length: length) }
            } else if length > virtio {
                takeOffloaded(slot, length: length - virtio, header: VirtioNetHeader(reading: slot - virtio))
            } else {
                statistics.offloadDrops += 1
            }
        }
        sendPackets()
    }

    /// Takes one packet read with a virtio header: completes a partial checksum, or cuts a super-packet into
    /// segments (flushing the batch as it fills). Anything else is dropped and counted.
    @inline(__always)
    func takeOffloaded(_ packet: UnsafeMutableRawPointer, length: Int, header: VirtioNetHeader) {
        switch header.gsoType & ~VirtioNetHeader.gsoECN {
        case VirtioNetHeader.gsoNone:
            if header.flags & VirtioNetHeader.needsChecksum != 0,
               !TunOffload.completeChecksum(packet, length: length, start: Int(header.checksumStart),
                                            offset: Int(header.checksumOffset)) {
                statistics.offloadDrops += 1
                return
            }
            packets.append(length: length)
        case VirtioNetHeader.gsoTCPv4, VirtioNetHeader.gsoTCPv6, VirtioNetHeader.gsoUDP:
            // The super-packet leaves the batch with its buffer (no copy of its 64 KiB): the segments are cut
            // from it into the slots, this one included, which took the batch's spare buffer.
            let superPacket = packets.detachNext()
            statistics.tunSuperPackets += 1
            var next = 0
            while true {
                guard let (cut, total) = TunOffload.segment(superPacket, length: length, header: header, from: next,
                                                            into: packets) else {
                    statistics.offloadDrops += 1
                    return
                }
                next = cut
                if next >= total { return }
                sendPackets()
            }
        default:
            statistics.offloadDrops += 1
        }
    }

    /// Encapsulates and sends what the packet batch holds, then empties it.
    @inline(__always)
    func sendPackets() {
        guard packets.count > 0 else { return }
        let now = MonotonicClock.now()
        var next = 0
        while next < packets.count {
            next = engine.encapsulate(packets, from: next, into: out, now: now)
            flush()
        }
        packets.removeAll()
    }

    /// Sends every datagram in `out`, one `sendmmsg` per link slot, and hands the outcome to the engine.
    @inline(__always)
    func flush() {
        // The one place a headroom that ran out is acted on: every charge, sent or received, comes before a flush.
        defer { if budgetMeters.crossed { keepBudgets(now: MonotonicClock.now()) } }
        let count = out.count
        guard count > 0 else { return }
        flushed.update(repeating: false, count: count)
        for first in 0..<count where !flushed[first] {
            // Gather the datagrams of this one's slot that follow it; one sendmmsg takes them all.
            let slot = out.slot(at: first)
            sender.removeAll()
            var bytes = 0
            for i in first..<count where !flushed[i] && out.slot(at: i) == slot {
                flushed[i] = true
                senderEntries[sender.count] = i
                bytes &+= out.length(at: i)
                sender.append(out.head(at: i), headLength: out.headLength(at: i), body: out.body(at: i),
                              length: out.length(at: i), to: out.destination(at: i))
            }
            if slot < slots.count, let entry = slots[slot] { sender.send(on: entry.socket) }
            chargeBudget(slot: slot, bytes: bytes, datagrams: sender.count)
            for k in 0..<sender.count where !sender.wasSent(k) { out.markFailed(senderEntries[k]) }
        }
        engine.completeTransmission(out)
    }

    /// Reads a batch of datagrams from one link and acts on each.
    @inline(__always)
    func drainSocket(slot: Int) throws {
        guard slot >= 0, slot < slots.count, let entry = slots[slot] else { return }
        for _ in 0..<4 {
            let count = try batch.receive(from: entry.socket)
            if count == 0 { return }
            let now = MonotonicClock.now()
            // What the batch received, for a metered slot's budget: its bytes and datagrams (a GRO run counts the
            // datagrams its split handles), charged once after the batch.
            let metered = budgetMeters.watches(slot)
            var bytes = 0, datagrams = 0
            for i in 0..<count {
                let length = batch.lengths[i]
                let segment = Int(batch.segments[i])
                bytes &+= length
                guard length <= ForwardingCore.bufferSize, let message = batch.buffers[i],
                      let source = SocketAddress(storage: batch.sources + i) else {
                    statistics.oversized += 1
                    datagrams &+= 1
                    continue
                }
                let raw = UnsafeMutableRawPointer(message)
                if segment == 0 || length <= segment {
                    datagrams &+= 1
                    handleDatagram(raw, length: length, from: source, on: entry, slot: slot, now: now)
                    continue
                }
                // UDP GRO coalesced datagrams of one sender: each is handled where it lies (decrypting, sealing a
                // forwarded copy or writing a virtio header stays inside its own bytes).
                var offset = 0
                while offset < length {
                    handleDatagram(raw + offset, length: min(segment, length - offset), from: source, on: entry,
                                   slot: slot, now: now)
                    offset += segment
                    datagrams &+= 1
                }
            }
            // Before the next read reuses the buffers: the delivered packets, coalesced, and the forwarded ones.
            writeDelivered()
            // A session that came up in this batch takes the packets that waited for it (in order, once).
            if engine.hasStagedPackets { while !engine.flushStaged(into: out, now: now) { flush() } }
            if metered { chargeBudget(slot: slot, bytes: bytes, datagrams: datagrams) }
            flush()
            if count < batch.capacity { return }
        }
    }

    /// Writes the packets the last batch delivered (TunCoalescer.swift) and counts them.
    @inline(__always)
    func writeDelivered() {
        guard coalescer.count > 0 else { return }
        let before = coalescer.counts
        coalescer.flush(to: tun)
        let after = coalescer.counts
        statistics.tunWrites += after.writes - before.writes
        statistics.tunCoalescedSegments += after.coalescedSegments - before.coalescedSegments
        statistics.tunWritePackets += (after.packets - after.droppedPackets) - (before.packets - before.droppedPackets)
        statistics.tunWriteDrops += after.droppedPackets - before.droppedPackets
    }

    /// One datagram from a link: the engine's verdict carried out.
    @inline(__always)
    func handleDatagram(_ raw: UnsafeMutableRawPointer, length: Int, from source: SocketAddress, on entry: LinkSlot,
                        slot: Int, now: UInt64) {
        switch engine.receive(raw, length: length, slot: slot, source: source, now: now) {
        case .deliver(let offset, let payloadLength):
            if tun.hasVirtioHeader {
                // Written at the end of the batch, coalesced where it can be; its virtio header goes in the
                // transport header's place.
                coalescer.add(raw + offset, length: payloadLength, flushingTo: tun)
                if coalescer.pendingDatagrams >= ForwardingCore.deliveryBurst { writeDelivered() }
            } else {
                writeToTun(raw + offset, length: payloadLength)
            }
        case .forward(let peer, let offset, let payloadLength):
            // Sealed in place in the receive buffer: `out` is flushed before the next read reuses it.
            while !engine.encapsulate(raw + offset, length: payloadLength, to: peer, inPlace: true, into: out, now: now) {
                flush()
            }
        case .control(let peer, let kind, let flags, let offset, let bodyLength):
            handleControl(peer: peer, kind: kind, flags: flags, body: raw + offset, length: bodyLength, now: now)
        case .recovered(_, let count):
            for r in 0..<count { handleRecovered(r, now: now) }
        case .reply(let replyLength):
            _ = entry.socket.send(engine.replyBuffer, count: replyLength, to: source)
        case .none:
            break
        }
        if engine.hasReorderedPackets { drainReordered(now: now) }
    }

    /// Writes one inner packet to the TUN; `packet` has at least a transport header's room in front of it.
    @inline(__always)
    func writeToTun(_ packet: UnsafeMutableRawPointer, length: Int) {
        // A virtio header (all zero: a complete packet) goes in the transport header's place.
        let virtio = tun.hasVirtioHeader ? TunDevice.virtioHeaderSize : 0
        if virtio > 0 { VirtioNetHeader.writeNone(at: packet - virtio) }
        if (try? tun.writePacket(packet - virtio, count: length + virtio)) == true {
            statistics.tunWritePackets += 1
            statistics.tunWrites += 1
        } else {
            statistics.tunWriteDrops += 1
        }
    }

    /// A packet the engine rebuilt from parity: delivered or forwarded like a data packet (copied when forwarded,
    /// because the engine reuses its buffer at the next parity message).
    func handleRecovered(_ index: Int, now: UInt64) {
        handleEngineBuffer(engine.recoveredBuffer(index), verdict: engine.recovered(index), now: now)
    }

    /// A packet in one of the engine's own buffers (rebuilt from parity, released by a reorder buffer): written at
    /// once after what the batch delivered before it, or copied when forwarded (the engine reuses the buffer).
    func handleEngineBuffer(_ buffer: UnsafeMutableRawPointer, verdict: TunnelEngine.Verdict, now: UInt64) {
        switch verdict {
        case .deliver(let offset, let length):
            // At once (the buffer is reused), after what the batch delivered before it.
            writeDelivered()
            writeToTun(buffer + offset, length: length)
        case .forward(let peer, let offset, let length):
            while !engine.encapsulate(buffer + offset, length: length, to: peer, inPlace: false, into: out, now: now) {
                flush()
            }
        default:
            break
        }
    }
}
