import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// The data path. The pipeline, written once (the engine and ARCHITECTURE.md point here):
///
/// Outbound, TUN to links (`drainTun`):
///   1. The TUN device is readable: up to `packetBatchSize` packets are read straight into the `PacketBatch`
///      buffers, each behind 24 bytes of headroom and ahead of 16 bytes of tailroom.
///   2. One engine call, `encapsulate(packets, into: out)`: per packet the peer (host: the router; router: longest
///      prefix of the destination), the copies (one connection per host-side link, the best one), one counter for
///      all copies, one seal per copy (the last one in place), one `OutboundBatch` entry per copy (slot,
///      destination, bytes). When `out` fills up, it is flushed and the call continues where it stopped.
///   3. `flush`: per link slot, that slot's datagrams leave with one `sendmmsg`; the ones the kernel refused (queue
///      full, unreachable) are marked failed, so a stalled link loses its own copies only.
///   4. `completeTransmission(out)`: the engine counts failed copies per connection and empties the batch.
/// Inbound, links to TUN or another peer (`drainSocket`):
///   1. A link socket is readable: up to 32 datagrams with one `recvmmsg`.
///   2. `receive` per datagram: header, session, tag (verified before anything changes), replay window,
///      connection (learned or moved on a router only by a new authentic counter), decrypt (new packets only),
///      allowed-ips of the sender, route.
///   3. The verdict: deliver (one TUN write), forward (router: encapsulated in place into `out`, which is flushed
///      before the next read reuses the receive buffers), reply (handshake response or probe reply, sent back on
///      the same socket), or nothing (dropped and counted).
/// Timers (every `tickInterval`): `tick` writes probes and initiations into `out`, flushed like data.
extension ForwardingCore {
    /// Reads packets from the TUN device in batches (bounded per wake-up so the links get their turn) and sends
    /// them.
    @inline(__always)
    func drainTun() throws {
        for _ in 0..<2 {
            packets.removeAll()
            while !packets.isFull {
                guard let length = try tun.readPacket(into: packets.payload(at: packets.count),
                                                      capacity: packets.packetCapacity) else { break }
                statistics.tunReadPackets += 1
                if length > 0 { packets.append(length: length) }
            }
            if packets.count == 0 { return }
            let now = MonotonicClock.now()
            var next = 0
            while next < packets.count {
                next = engine.encapsulate(packets, from: next, into: out, now: now)
                flush()
            }
            if !packets.isFull { return }
        }
    }

    /// Sends every datagram in `out`, one `sendmmsg` per link slot, and hands the outcome to the engine.
    @inline(__always)
    func flush() {
        let count = out.count
        guard count > 0 else { return }
        flushed.update(repeating: false, count: count)
        for first in 0..<count where !flushed[first] {
            // Gather the datagrams of this one's slot that follow it; one sendmmsg takes them all.
            let slot = out.slot(at: first)
            sender.removeAll()
            for i in first..<count where !flushed[i] && out.slot(at: i) == slot {
                flushed[i] = true
                senderEntries[sender.count] = i
                sender.append(out.bytes(at: i), length: out.length(at: i), to: out.destination(at: i))
            }
            if slot < slots.count, let entry = slots[slot] { sender.send(on: entry.socket) }
            for k in 0..<sender.count where !sender.wasSent(k) { out.markFailed(senderEntries[k]) }
        }
        statistics.sendCalls = sender.calls
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
            for i in 0..<count {
                let length = batch.lengths[i]
                guard length <= ForwardingCore.bufferSize, let message = batch.buffers[i],
                      let source = SocketAddress(storage: batch.sources + i) else {
                    statistics.oversized += 1
                    continue
                }
                let raw = UnsafeMutableRawPointer(message)
                switch engine.receive(raw, length: length, slot: slot, source: source, now: now) {
                case .deliver(let offset, let payloadLength):
                    if (try? tun.writePacket(raw + offset, count: payloadLength)) == true {
                        statistics.tunWritePackets += 1
                    } else {
                        statistics.tunWriteDrops += 1
                    }
                case .forward(let peer, let offset, let payloadLength):
                    // Sealed in place in the receive buffer: `out` is flushed before the next read reuses it.
                    while !engine.encapsulate(raw + offset, length: payloadLength, to: peer, inPlace: true,
                                              into: out, now: now) {
                        flush()
                    }
                case .reply(let replyLength):
                    _ = entry.socket.send(engine.replyBuffer, count: replyLength, to: source)
                case .none:
                    break
                }
            }
            flush()
            if count < batch.capacity { return }
        }
    }
}
