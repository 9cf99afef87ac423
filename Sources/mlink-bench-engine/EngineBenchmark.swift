import Glibc
import MLinkProtocol
import MLinkTypes

/// The protocol core's per-packet cost without any I/O: a host engine plans and seals copies of a 1400-byte
/// packet, a router engine receives them (verify, window, decrypt, route). Prints packets per second and
/// Gbit/s of inner traffic for one copy per packet and for two (two links: the second copy is a duplicate that
/// is verified but not decrypted). `scripts/bench.sh` runs it next to the network benchmark, so the share of
/// the tunnel's cost that is cryptography is visible.
@main
enum EngineBenchmark {
    static func main() {
        let packets = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 300_000 : 300_000
        for links in [1, 2] {
            let (host, router, now) = establishedPair(links: links)
            let size = 1400
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 64)
            let copy = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 64)
            defer { buffer.deallocate(); copy.deallocate() }
            writeIPv4(into: buffer + WireFormat.transportHeaderSize, length: size)
            var delivered = 0
            let start = clock()
            for i in 0..<packets {
                let t = now + UInt64(i) * 1000
                let copies = host.planTransmission(to: 0, now: t)
                for c in 0..<copies {
                    copy.copyMemory(from: buffer, byteCount: size + WireFormat.transportHeaderSize)
                    let length = host.sealCopy(to: 0, copy: c, message: copy, payloadLength: size, now: t)
                    let source = host.destination(ofCopy: c, peer: 0)
                    let from = SocketAddress(address: IPAddress(ipv4: 0xC0A8_0002 + UInt32(source.slot) << 8), port: 40000)
                    if case .deliver = router.receive(copy, length: length, slot: source.slot, source: from, now: t) {
                        delivered += 1
                    }
                }
            }
            let seconds = Double(clock() - start) / Double(CLOCKS_PER_SEC)
            let rate = Double(packets) / seconds
            let line = "engine, \(links) link\(links == 1 ? " " : "s"): \(packets) packets of \(size) B in "
                + "\(round(seconds * 100) / 100) s CPU: \(Int(rate)) packets/s, "
                + "\(round(rate * Double(size) * 8 / 1e7) / 100) Gbit/s inner, delivered \(delivered)"
            print(line)
        }
    }

    /// A host with `links` links and a router, through a real handshake; returns the time to continue from.
    static func establishedPair(links: Int) -> (TunnelEngine, TunnelEngine, UInt64) {
        func key(_ n: UInt8) -> Key32 { Key32(bytes: [UInt8](repeating: n, count: 32))! }
        var wall: UInt64 = 1_795_000_000_000_000_000
        let clock = { () -> UInt64 in wall += 1_000; return wall }
        let virtual = IPNetwork(address: IPAddress(ipv4: 0x0A4D_000A), prefixLength: 32)!
        let router = TunnelEngine(configuration: EngineConfiguration(
            isRouter: true, privateKey: key(1), virtualAddress: IPAddress(ipv4: 0x0A4D_0001),
            peers: [PeerConfiguration(name: "h", publicKey: TunnelEngine.publicKey(for: key(2)), allowedIPs: [virtual])]),
            wallClock: clock)
        let host = TunnelEngine(configuration: EngineConfiguration(
            isRouter: false, privateKey: key(2), virtualAddress: virtual.address,
            peers: [PeerConfiguration(name: "r", publicKey: TunnelEngine.publicKey(for: key(1)), allowedIPs: [])]),
            wallClock: clock)
        var endpoints: [SocketAddress] = []
        for link in 0..<links {
            let base = UInt32(0xC0A8_0000) + UInt32(link) << 8
            router.linkAdded(slot: link, name: "r\(link)", local: SocketAddress(address: IPAddress(ipv4: base + 3), port: 7000))
            host.linkAdded(slot: link, name: "h\(link)", local: SocketAddress(address: IPAddress(ipv4: base + 2), port: 40000))
            endpoints.append(SocketAddress(address: IPAddress(ipv4: base + 3), port: 7000))
        }
        host.setRouterEndpoints(endpoints)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
        defer { buffer.deallocate() }
        var now: UInt64 = 1_000_000_000
        for _ in 0..<10 {
            now += 100_000_000
            for datagram in host.tick(now: now) {
                // Only a link's own endpoint is reachable, as on separate wires.
                guard datagram.destination.address.ipv4Value >> 8 & 0xff == UInt32(datagram.slot) else { continue }
                let from = SocketAddress(address: IPAddress(ipv4: 0xC0A8_0002 + UInt32(datagram.slot) << 8), port: 40000)
                datagram.bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                if case .reply(let length) = router.receive(buffer, length: datagram.bytes.count, slot: datagram.slot,
                                                            source: from, now: now) {
                    buffer.copyMemory(from: router.replyBuffer, byteCount: length)
                    _ = host.receive(buffer, length: length, slot: datagram.slot, source: datagram.destination, now: now)
                }
            }
            _ = router.tick(now: now)
        }
        return (host, router, now)
    }

    /// An IPv4 header 10.77.0.10 -> 10.77.0.1 (the router's own address: delivered, not forwarded) and a payload.
    static func writeIPv4(into p: UnsafeMutableRawPointer, length: Int) {
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        for i in 0..<length { bytes[i] = UInt8(truncatingIfNeeded: i) }
        bytes[0] = 0x45
        bytes[2] = UInt8(length >> 8); bytes[3] = UInt8(length & 0xff)
        bytes[9] = 17
        for (i, b) in [10, 77, 0, 10, 10, 77, 0, 1].enumerated() { bytes[12 + i] = UInt8(b) }
    }
}
