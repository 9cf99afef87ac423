import MLinkProtocol

/// The 10-byte `virtio_net_hdr` in front of every TUN read and write once IFF_VNET_HDR is on (native byte order,
/// which is little-endian on every target mlink builds for).
///
///     0 flags (1: checksum left partial) | 1 GSO type (0 none, 1 TCPv4, 4 TCPv6, 5 UDP, 0x80 ECN)
///     2-3 header length | 4-5 GSO size (the MSS) | 6-7 checksum start | 8-9 checksum offset
struct VirtioNetHeader {
    var flags: UInt8
    var gsoType: UInt8
    var headerLength: UInt16 = 0
    var gsoSize: UInt16
    var checksumStart: UInt16
    var checksumOffset: UInt16

    static let needsChecksum: UInt8 = 1
    static let gsoNone: UInt8 = 0, gsoTCPv4: UInt8 = 1, gsoTCPv6: UInt8 = 4, gsoUDP: UInt8 = 5, gsoECN: UInt8 = 0x80

    init(flags: UInt8, gsoType: UInt8, headerLength: UInt16, gsoSize: UInt16, checksumStart: UInt16,
         checksumOffset: UInt16) {
        self.flags = flags
        self.gsoType = gsoType
        self.headerLength = headerLength
        self.gsoSize = gsoSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
    }

    @inline(__always)
    init(reading p: UnsafeRawPointer) {
        flags = p.load(as: UInt8.self)
        gsoType = p.load(fromByteOffset: 1, as: UInt8.self)
        headerLength = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        gsoSize = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        checksumStart = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        checksumOffset = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    }

    /// Writes this header at `p` (10 bytes, little-endian fields).
    @inline(__always)
    func write(at p: UnsafeMutableRawPointer) {
        p.storeBytes(of: flags, as: UInt8.self)
        p.storeBytes(of: gsoType, toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: headerLength.littleEndian, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: gsoSize.littleEndian, toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: checksumStart.littleEndian, toByteOffset: 6, as: UInt16.self)
        p.storeBytes(of: checksumOffset.littleEndian, toByteOffset: 8, as: UInt16.self)
    }

    /// Writes an all-zero header (no offload: a complete packet with a complete checksum) at `p`.
    @inline(__always)
    static func writeNone(at p: UnsafeMutableRawPointer) {
        p.storeBytes(of: 0, as: UInt64.self)
        p.storeBytes(of: 0, toByteOffset: 8, as: UInt16.self)
    }
}

/// What TUN offloads leave to the reader: checksums left partial, and TCP (TSO) and UDP (USO) super-packets to
/// cut into segments, as the kernel's own GSO would (wireguard-go's tun/offload_linux.go does the same in Go).
///
/// Each segment gets a copy of the IP and TCP headers with its own IPv4 total length, id and header checksum
/// (IPv6: payload length), its own sequence number, FIN and PSH only on the last segment and CWR only on the
/// first, and a full TCP checksum. Nothing here allocates.
enum TunOffload {
    /// Completes a checksum the kernel left partial (CHECKSUM_PARTIAL): the field at `start + offset` holds the
    /// pseudo-header sum; the sum over `packet[start...]` is folded, inverted and stored. False when the offsets
    /// lie outside the packet.
    @inline(__always)
    static func completeChecksum(_ packet: UnsafeMutableRawPointer, length: Int, start: Int, offset: Int) -> Bool {
        guard start >= 0, offset >= 0, start + offset + 2 <= length else { return false }
        let field = packet + start + offset
        let initial = UInt64(UInt16(bigEndian: field.loadUnaligned(as: UInt16.self)))
        field.storeBytes(of: 0, as: UInt16.self)
        let sum = onesComplementSum(packet + start, count: length - start, initial: initial)
        field.storeBytes(of: (~fold(sum)).bigEndian, as: UInt16.self)
        return true
    }

    /// Cuts the TCP super-packet (or, with `header.gsoType` UDP_L4, the UDP super-packet) `packet` (`length`
    /// bytes, described by `header`) into segments of at most `gsoSize` payload bytes, appending segment `first`,
    /// `first + 1`, ... to `batch` until it is full. Returns the next segment to cut and the number of segments,
    /// or nil for a packet that is not a well-formed IPv4 or IPv6 TCP (UDP) packet with a segment size that fits
    /// `batch`. UDP segments get their own UDP length and checksum (IPv4: id, length, header checksum as for TCP).
    static func segment(_ packet: UnsafeRawPointer, length: Int, header: VirtioNetHeader, from first: Int,
                        into batch: PacketBatch) -> (next: Int, total: Int)? {
        guard length >= 28 else { return nil }
        let udp = header.gsoType & ~VirtioNetHeader.gsoECN == VirtioNetHeader.gsoUDP
        let protocolNumber: UInt8 = udp ? 17 : 6
        let version = packet.load(as: UInt8.self) >> 4
        let l4 = Int(header.checksumStart)
        switch version {
        case 4:
            let ihl = Int(packet.load(as: UInt8.self) & 0x0f) * 4
            guard ihl >= 20, l4 == ihl, packet.load(fromByteOffset: 9, as: UInt8.self) == protocolNumber else { return nil }
        case 6:
            guard l4 == 40, packet.load(fromByteOffset: 6, as: UInt8.self) == protocolNumber else { return nil }
        default:
            return nil
        }
        guard l4 + (udp ? 8 : 20) <= length else { return nil }
        let l4Header = udp ? 8 : Int(packet.load(fromByteOffset: l4 + 12, as: UInt8.self) >> 4) * 4
        let headers = l4 + l4Header
        let mss = Int(header.gsoSize)
        guard l4Header >= 8, headers <= length, mss > 0, headers + mss <= batch.packetCapacity else { return nil }
        let payload = length - headers
        let total = max(1, (payload + mss - 1) / mss)
        let firstSequence = UInt32(bigEndian: packet.loadUnaligned(fromByteOffset: l4 + 4, as: UInt32.self))
        let firstID = UInt16(bigEndian: packet.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        let flags = packet.load(fromByteOffset: l4 + 13, as: UInt8.self)
        let checksumField = l4 + (udp ? 6 : 16)
        var index = first
        while index < total && !batch.isFull {
            let offset = index * mss
            let size = min(mss, payload - offset)
            let out = batch.payload(at: batch.count)
            out.copyMemory(from: packet, byteCount: headers)
            (out + headers).copyMemory(from: packet + headers + offset, byteCount: size)
            let segmentLength = headers + size
            let l4Length = l4Header + size
            var pseudo: UInt64
            if version == 4 {
                out.storeBytes(of: UInt16(segmentLength).bigEndian, toByteOffset: 2, as: UInt16.self)
                out.storeBytes(of: (firstID &+ UInt16(truncatingIfNeeded: index)).bigEndian, toByteOffset: 4, as: UInt16.self)
                out.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
                out.storeBytes(of: (~fold(onesComplementSum(out, count: l4, initial: 0))).bigEndian, toByteOffset: 10,
                               as: UInt16.self)
                pseudo = onesComplementSum(out + 12, count: 8, initial: UInt64(protocolNumber) + UInt64(l4Length))
            } else {
                out.storeBytes(of: UInt16(segmentLength - 40).bigEndian, toByteOffset: 4, as: UInt16.self)
                pseudo = onesComplementSum(out + 8, count: 32, initial: UInt64(protocolNumber) + UInt64(l4Length))
            }
            if udp {
                out.storeBytes(of: UInt16(l4Length).bigEndian, toByteOffset: l4 + 4, as: UInt16.self)
            } else {
                out.storeBytes(of: (firstSequence &+ UInt32(truncatingIfNeeded: offset)).bigEndian, toByteOffset: l4 + 4,
                               as: UInt32.self)
                var segmentFlags = flags
                if index != total - 1 { segmentFlags &= ~(0x01 | 0x08) }  // FIN and PSH: the last segment only
                if index != 0 { segmentFlags &= ~0x80 }  // CWR: the first segment only
                out.storeBytes(of: segmentFlags, toByteOffset: l4 + 13, as: UInt8.self)
            }
            out.storeBytes(of: 0, toByteOffset: checksumField, as: UInt16.self)
            var checksum = ~fold(onesComplementSum(out + l4, count: l4Length, initial: pseudo))
            if udp && checksum == 0 { checksum = 0xffff }  // UDP: 0 would mean "no checksum"
            out.storeBytes(of: checksum.bigEndian, toByteOffset: checksumField, as: UInt16.self)
            batch.append(length: segmentLength)
            index += 1
        }
        return (index, total)
    }

    /// The Internet checksum's ones' complement sum of `count` bytes as big-endian 16-bit words (an odd last
    /// byte padded with zero), added to `initial`, not yet folded (RFC 1071). The bulk is summed 32 bytes per
    /// step as native 64-bit words with end-around carry; that sum of byte-swapped words, folded, is swapped back
    /// (the ones' complement sum does not depend on byte order, RFC 1071 section 2 (B)). The tail of fewer than
    /// 8 bytes is summed as big-endian words.
    @inline(__always)
    static func onesComplementSum(_ p: UnsafeRawPointer, count: Int, initial: UInt64) -> UInt64 {
        var i = 0
        var sum = initial
        if count >= 8 {
            var native: UInt64 = 0
            var carries: UInt64 = 0
            @inline(__always) func add(_ word: UInt64) {
                let (s, overflow) = native.addingReportingOverflow(word)
                native = s
                carries &+= overflow ? 1 : 0
            }
            while i + 32 <= count {
                add(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                add(p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                add(p.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                add(p.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
                i += 32
            }
            while i + 8 <= count {
                add(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i += 8
            }
            let (withCarries, overflow) = native.addingReportingOverflow(carries)
            native = withCarries &+ (overflow ? 1 : 0)  // cannot overflow again: carries < count / 8
            var folded = (native & 0xffff_ffff) + (native >> 32)
            folded = (folded & 0xffff) + (folded >> 16)
            folded = (folded & 0xffff) + (folded >> 16)
            folded = (folded & 0xffff) + (folded >> 16)
            sum &+= UInt64(UInt16(bigEndian: UInt16(truncatingIfNeeded: folded)))
        }
        while i + 2 <= count {
            sum &+= UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
            i += 2
        }
        if i < count { sum &+= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << 8 }
        return sum
    }

    /// Folds a ones' complement sum to 16 bits.
    @inline(__always)
    static func fold(_ value: UInt64) -> UInt16 {
        var sum = value
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return UInt16(sum)
    }
}
