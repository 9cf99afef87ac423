import Glibc
import MLinkSystem

/// Where the coalescer's writes go: one packet, behind its 10-byte virtio header, as one vector of buffers.
/// `TunDevice` in the daemon; the tests collect the bytes.
protocol TunPacketWriter {
    /// Writes `count` buffers of `vectors` from `first` on as one packet; false when it was dropped.
    func writePacket(_ vectors: IOVectorArray, from first: Int, count: Int) -> Bool
}

/// GRO-style coalescing of the packets one received batch delivers (issue 11): instead of one TUN write per
/// packet, consecutive segments of one TCP flow (and, when the TUN device accepted USO, of one UDP flow) leave
/// as one super-packet with a virtio header (GSO TCPv4/TCPv6/UDP_L4, NEEDS_CSUM), as the kernel's GRO and
/// wireguard-go's tun GRO do. The kernel's receiving stack then handles 64 KiB at a time and acknowledges once.
///
/// Packets are not copied: each stays where it was decrypted (in the receive buffers, which the caller keeps
/// until `flush`); a super-packet is written with `writev` as the first packet's headers and payload followed by
/// the payloads of the segments appended to it. Nothing waits for later packets: `flush` at the end of each
/// received batch writes what is in hand, so coalescing adds no delay.
///
/// A packet joins the open run of its flow only when (RFC 9293 fields; the same rules as Linux's tcp_gro_receive):
/// - same IP version, addresses, ports and (TCP) acknowledgement number;
/// - IPv4 without options or fragmentation, same TOS, TTL and DF; IPv6 with no extension header, same traffic
///   class, flow label and hop limit;
/// - TCP: same header length and option bytes; flags ACK, or ACK+PSH (PSH ends the run); no SYN, FIN, RST, URG,
///   ECE or CWR; its sequence number follows the run's last byte;
/// - a payload no larger than the first one's (the segment size); a smaller one ends the run;
/// - valid IPv4 header and TCP/UDP checksums on every packet of the run (a damaged one is written alone, for the
///   kernel to drop as it would);
/// - at most `maximumSegments` segments and 65535 bytes of IP packet.
/// Everything is preallocated; nothing here allocates per packet.
final class TunCoalescer {
    /// One pending TUN write: a packet alone or the head of a run.
    struct Write {
        var head: UnsafeMutableRawPointer
        /// The bytes of the first packet, and of the whole (super-)packet.
        var headLength: Int
        var length: Int
        /// 0: written alone as it is; else `kindTCP` or `kindUDP`, a run candidate.
        var kind: UInt8
        var ipv6: Bool
        var ipHeader: Int
        var l4Header: Int
        /// The first segment's payload bytes: the GSO size of the run.
        var segmentSize: Int
        var payload: Int
        var segments: Int
        /// TCP: the sequence number after the run's (or packet's) last payload byte.
        var nextSequence: UInt32
        /// The run takes no more segments (PSH, a short segment, a full run).
        var closed: Bool
        /// PSH seen on the last segment.
        var push: Bool
        /// First of this run's entries in `vectors` (1 + slot * vectorSlotSize; entry 0 is for single
        /// packets); -1 before the second segment.
        var vector: Int
    }

    static let kindTCP: UInt8 = 6, kindUDP: UInt8 = 17
    static let maximumSegments = 64
    static let vectorSlotSize = maximumSegments + 1

    let capacity: Int
    let slots: Int
    let flowCapacity: Int
    /// True when runs of UDP datagrams may be written as GSO_UDP_L4 super-packets (the TUN device accepted USO).
    var coalescesUDP: Bool

    private let writes: UnsafeMutablePointer<Write>
    private(set) var count = 0
    /// Packets taken since the last flush (a super-packet counts each of its segments).
    private(set) var pendingPackets = 0
    /// The writes whose runs are still open, by index into `writes`; searched linearly (a batch has few flows).
    private let open: UnsafeMutablePointer<Int>
    private var openCount = 0
    private let vectors: IOVectorArray
    private var slotsUsed = 0
    private var statistics = Statistics()

    /// What the coalescer did since it was created.
    struct Statistics {
        /// TUN write calls, and packets they carried.
        var writes: UInt64 = 0
        var packets: UInt64 = 0
        /// Packets that left inside a super-packet, and super-packets written.
        var coalescedSegments: UInt64 = 0
        var superPackets: UInt64 = 0
        /// Writes the device refused, and the packets in them.
        var droppedWrites: UInt64 = 0
        var droppedPackets: UInt64 = 0
    }

    var counts: Statistics { statistics }

    /// A coalescer for up to `capacity` pending writes per flush, of which at most `slots` become super-packets
    /// and at most `flows` runs are open at once.
    init(capacity: Int = 512, slots: Int = 64, flows: Int = 16, coalescesUDP: Bool = false) {
        self.capacity = capacity
        self.slots = slots
        flowCapacity = flows
        self.coalescesUDP = coalescesUDP
        writes = .allocate(capacity: capacity)
        open = .allocate(capacity: flows)
        open.initialize(repeating: 0, count: flows)
        vectors = IOVectorArray(capacity: 1 + slots * TunCoalescer.vectorSlotSize)
    }

    deinit {
        writes.deallocate()
        open.deallocate()
    }

    /// Takes the packet `packet` (`length` bytes, with at least 10 bytes of writable headroom in front of it,
    /// valid until the next `flush`): appended to its flow's open run, or queued as a write of its own.
    @inline(__always)
    func add<W: TunPacketWriter>(_ packet: UnsafeMutableRawPointer, length: Int, flushingTo writer: W) {
        if count == capacity { flush(to: writer) }
        pendingPackets += 1
        var candidate = TunCoalescer.classify(packet, length: length, udp: coalescesUDP)
        if candidate.kind != 0 {
            var k = 0
            while k < openCount {
                let index = open[k]
                if TunCoalescer.sameFlow(writes[index], candidate) {
                    if append(packet, candidate, to: index, flushingTo: writer) { return }
                    // Refused: the run ends here (unless a flush just emptied the table).
                    if k < openCount && open[k] == index { closeRun(at: k) }
                    break
                }
                k += 1
            }
        }
        if count == capacity { flush(to: writer) }
        candidate.head = packet
        writes[count] = candidate
        if candidate.kind != 0 && !candidate.closed && openCount < flowCapacity {
            open[openCount] = count
            openCount += 1
        }
        count += 1
    }

    /// Writes every pending packet and super-packet, in the order their first packets arrived, and forgets them.
    func flush<W: TunPacketWriter>(to writer: W) {
        for i in 0..<count {
            let w = writes[i]
            let header = w.head - TunDevice.virtioHeaderSize
            let sent: Bool
            if w.segments == 1 {
                VirtioNetHeader.writeNone(at: header)
                vectors.set(0, base: header, length: w.length + TunDevice.virtioHeaderSize)
                sent = writer.writePacket(vectors, from: 0, count: 1)
            } else {
                finishSuperPacket(w)
                vectors.set(w.vector, base: header, length: w.headLength + TunDevice.virtioHeaderSize)
                sent = writer.writePacket(vectors, from: w.vector, count: w.segments)
                statistics.superPackets += 1
                statistics.coalescedSegments += UInt64(w.segments)
            }
            statistics.writes += 1
            statistics.packets += UInt64(w.segments)
            if !sent {
                statistics.droppedWrites += 1
                statistics.droppedPackets += UInt64(w.segments)
            }
        }
        count = 0
        pendingPackets = 0
        openCount = 0
        slotsUsed = 0
    }

    private func closeRun(at k: Int) {
        writes[open[k]].closed = true
        openCount -= 1
        open[k] = open[openCount]
    }

    /// Appends `packet` to the run `index` when the rules allow; false when it must start its own write.
    @inline(__always)
    private func append<W: TunPacketWriter>(_ packet: UnsafeMutableRawPointer, _ c: Write, to index: Int,
                                            flushingTo writer: W) -> Bool {
        let run = writes[index]
        guard !run.closed, c.payload <= run.segmentSize, run.segments < TunCoalescer.maximumSegments,
              run.length + c.payload <= 65535,
              c.kind == TunCoalescer.kindUDP || c.nextSequence &- UInt32(truncatingIfNeeded: c.payload) == run.nextSequence,
              TunCoalescer.sameHeaders(run.head, packet, run) else { return false }
        if run.segments == 1 {
            // The run's first packet is checked only now that it has company; a damaged one stays alone.
            guard TunCoalescer.checksumsValid(run.head, run) else { return false }
            if slotsUsed == slots {
                // Out of vector slots: write what is pending; this packet starts afresh.
                flush(to: writer)
                return false
            }
        }
        guard TunCoalescer.checksumsValid(packet, c) else { return false }
        var r = run
        if r.segments == 1 {
            r.vector = 1 + slotsUsed * TunCoalescer.vectorSlotSize
            slotsUsed += 1
        }
        vectors.set(r.vector + r.segments, base: packet + c.ipHeader + c.l4Header, length: c.payload)
        r.segments += 1
        r.payload += c.payload
        r.length += c.payload
        r.nextSequence = run.nextSequence &+ UInt32(truncatingIfNeeded: c.payload)
        r.push = c.push
        if c.push || c.payload < run.segmentSize || r.segments == TunCoalescer.maximumSegments
            || r.length + r.segmentSize > 65535 {
            r.closed = true
        }
        writes[index] = r
        if r.closed {
            var k = 0
            while k < openCount && open[k] != index { k += 1 }
            if k < openCount { closeRun(at: k) }
        }
        return true
    }

    /// The run's head rewritten as a super-packet: virtio header (GSO, NEEDS_CSUM), IP length (and IPv4 header
    /// checksum), TCP PSH from the last segment or the UDP length, and the pseudo-header sum in the checksum field.
    private func finishSuperPacket(_ w: Write) {
        let p = w.head
        let l4 = w.ipHeader
        let l4Length = w.length - l4
        var pseudo: UInt64
        if w.ipv6 {
            p.storeBytes(of: UInt16(l4Length).bigEndian, toByteOffset: 4, as: UInt16.self)
            pseudo = TunOffload.onesComplementSum(p + 8, count: 32, initial: UInt64(w.kind) + UInt64(l4Length))
        } else {
            p.storeBytes(of: UInt16(w.length).bigEndian, toByteOffset: 2, as: UInt16.self)
            p.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
            p.storeBytes(of: (~TunOffload.fold(TunOffload.onesComplementSum(p, count: l4, initial: 0))).bigEndian,
                         toByteOffset: 10, as: UInt16.self)
            pseudo = TunOffload.onesComplementSum(p + 12, count: 8, initial: UInt64(w.kind) + UInt64(l4Length))
        }
        let checksumOffset: UInt16
        let gsoType: UInt8
        if w.kind == TunCoalescer.kindTCP {
            checksumOffset = 16
            gsoType = w.ipv6 ? VirtioNetHeader.gsoTCPv6 : VirtioNetHeader.gsoTCPv4
            if w.push {
                let flags = p.load(fromByteOffset: l4 + 13, as: UInt8.self)
                p.storeBytes(of: flags | 0x08, toByteOffset: l4 + 13, as: UInt8.self)
            }
        } else {
            checksumOffset = 6
            gsoType = VirtioNetHeader.gsoUDP
            p.storeBytes(of: UInt16(l4Length).bigEndian, toByteOffset: l4 + 4, as: UInt16.self)
        }
        p.storeBytes(of: TunOffload.fold(pseudo).bigEndian, toByteOffset: l4 + Int(checksumOffset), as: UInt16.self)
        VirtioNetHeader(flags: VirtioNetHeader.needsChecksum, gsoType: gsoType, headerLength: UInt16(l4 + w.l4Header),
                        gsoSize: UInt16(w.segmentSize), checksumStart: UInt16(l4), checksumOffset: checksumOffset)
            .write(at: p - TunDevice.virtioHeaderSize)
    }

    /// What `packet` is: a TCP or UDP run candidate (its header lengths, payload, sequence, PSH), or kind 0.
    @inline(__always)
    static func classify(_ p: UnsafeMutableRawPointer, length: Int, udp: Bool) -> Write {
        var w = Write(head: p, headLength: length, length: length, kind: 0, ipv6: false, ipHeader: 0, l4Header: 0, segmentSize: 0,
                      payload: 0, segments: 1, nextSequence: 0, closed: true, push: false, vector: -1)
        guard length >= 28 else { return w }
        let protocolNumber: UInt8
        switch p.load(as: UInt8.self) {
        case 0x45:
            // No options, not a fragment (MF clear, offset 0), total length = what was delivered.
            guard UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) == length,
                  UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x3fff == 0 else { return w }
            protocolNumber = p.load(fromByteOffset: 9, as: UInt8.self)
            w.ipHeader = 20
        case 0x60...0x6f:
            guard length >= 48,
                  Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))) + 40 == length
            else { return w }
            protocolNumber = p.load(fromByteOffset: 6, as: UInt8.self)
            w.ipv6 = true
            w.ipHeader = 40
        default:
            return w
        }
        let l4 = w.ipHeader
        if protocolNumber == kindTCP {
            guard length >= l4 + 20 else { return w }
            let tcpHeader = Int(p.load(fromByteOffset: l4 + 12, as: UInt8.self) >> 4) * 4
            let flags = p.load(fromByteOffset: l4 + 13, as: UInt8.self)
            // ACK, optionally PSH; nothing else (FIN 01, SYN 02, RST 04, URG 20, ECE 40, CWR 80).
            guard tcpHeader >= 20, length > l4 + tcpHeader, flags & ~0x08 == 0x10 else { return w }
            w.l4Header = tcpHeader
            w.push = flags & 0x08 != 0
            w.nextSequence = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 4, as: UInt32.self))
        } else if protocolNumber == kindUDP && udp {
            guard Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 4, as: UInt16.self))) == length - l4,
                  length > l4 + 8,
                  p.loadUnaligned(fromByteOffset: l4 + 6, as: UInt16.self) != 0 else { return w }
            w.l4Header = 8
        } else {
            return w
        }
        w.kind = protocolNumber
        w.payload = length - l4 - w.l4Header
        w.segmentSize = w.payload
        w.nextSequence = w.nextSequence &+ UInt32(truncatingIfNeeded: w.payload)
        // A PSH packet may still end a run; it just cannot start one that takes more.
        w.closed = w.push
        return w
    }

    /// Same flow: IP version, addresses, ports, and for TCP the acknowledgement number.
    @inline(__always)
    static func sameFlow(_ run: Write, _ c: Write) -> Bool {
        guard run.kind == c.kind, run.ipv6 == c.ipv6 else { return false }
        let a = UnsafeRawPointer(run.head), b = UnsafeRawPointer(c.head)
        let l4 = run.ipHeader
        if run.ipv6 {
            guard memcmp(a + 8, b + 8, 32) == 0 else { return false }
        } else {
            guard a.loadUnaligned(fromByteOffset: 12, as: UInt64.self) == b.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
            else { return false }
        }
        guard a.loadUnaligned(fromByteOffset: l4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: l4, as: UInt32.self)
        else { return false }
        if run.kind == kindTCP {
            return a.loadUnaligned(fromByteOffset: l4 + 8, as: UInt32.self) == b.loadUnaligned(fromByteOffset: l4 + 8, as: UInt32.self)
        }
        return true
    }

    /// The header fields that must match within a run (beyond the flow): IPv4 TOS, DF and TTL; IPv6 traffic
    /// class, flow label and hop limit; the TCP header length and option bytes.
    @inline(__always)
    static func sameHeaders(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ run: Write) -> Bool {
        if run.ipv6 {
            guard a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self),
                  a.load(fromByteOffset: 7, as: UInt8.self) == b.load(fromByteOffset: 7, as: UInt8.self) else { return false }
        } else {
            guard a.load(fromByteOffset: 1, as: UInt8.self) == b.load(fromByteOffset: 1, as: UInt8.self),
                  a.load(fromByteOffset: 6, as: UInt8.self) == b.load(fromByteOffset: 6, as: UInt8.self),
                  a.load(fromByteOffset: 8, as: UInt8.self) == b.load(fromByteOffset: 8, as: UInt8.self) else { return false }
        }
        guard run.kind == kindTCP else { return true }
        let l4 = run.ipHeader
        guard a.load(fromByteOffset: l4 + 12, as: UInt8.self) >> 4 == b.load(fromByteOffset: l4 + 12, as: UInt8.self) >> 4
        else { return false }
        return run.l4Header == 20 || memcmp(a + l4 + 20, b + l4 + 20, run.l4Header - 20) == 0
    }

    /// True when the IPv4 header checksum and the TCP/UDP checksum (over the pseudo-header) verify.
    @inline(__always)
    static func checksumsValid(_ p: UnsafeRawPointer, _ w: Write) -> Bool {
        let l4 = w.ipHeader
        let l4Length = w.length - l4
        let pseudo: UInt64
        if w.ipv6 {
            pseudo = TunOffload.onesComplementSum(p + 8, count: 32, initial: UInt64(w.kind) + UInt64(l4Length))
        } else {
            guard TunOffload.fold(TunOffload.onesComplementSum(p, count: 20, initial: 0)) == 0xffff else { return false }
            pseudo = TunOffload.onesComplementSum(p + 12, count: 8, initial: UInt64(w.kind) + UInt64(l4Length))
        }
        return TunOffload.fold(TunOffload.onesComplementSum(p + l4, count: l4Length, initial: pseudo)) == 0xffff
    }
}

extension TunDevice: TunPacketWriter {}
