import MLinkProtocol
import MLinkTypes

/// A host and a router engine with an established session over `links` links, built by a real handshake.
///
/// Shared by the protocol tests, the engine benchmark and the packet fuzz harness, so all three drive the engine
/// through the daemon's own outbound call (`encapsulate` into an `OutboundBatch`, then `completeTransmission`).
/// Deterministic: fixed keys, a fake wall clock, a counting index source. Link `i` is the wire
/// `192.168.i.0/24`: the host is `.2:40000`, the router `.3:7000`, and a datagram reaches the other end only on its
/// own wire.
public final class EnginePair {
    public let host: TunnelEngine
    public let router: TunnelEngine
    /// The fake monotonic clock (ns).
    public var now: UInt64 = 1_000_000_000
    /// The batch every send goes through (with `sharedBodies`, a packet's further copies share its sealed body, as
    /// in the daemon; the deliveries here gather them).
    public let out: OutboundBatch
    /// Where a received datagram is placed before the engine sees it.
    public let receiveBuffer = UnsafeMutableRawPointer.allocate(byteCount: 65536 + 64, alignment: 64)
    /// Every datagram that crossed while the pair started (the fuzz harness's seed corpus).
    public private(set) var startupDatagrams: [[UInt8]] = []
    /// Control messages each engine handed up (`Verdict.control`): peer, kind, kind flags, body.
    public var routerControls: [(peer: Int, kind: UInt8, flags: UInt8, body: [UInt8])] = []
    public var hostControls: [(peer: Int, kind: UInt8, flags: UInt8, body: [UInt8])] = []
    private var recording = true

    /// The host's address on link `link`.
    public static func hostAddress(link: Int) -> SocketAddress {
        SocketAddress(address: IPAddress(ipv4: 0xC0A8_0002 + UInt32(link) << 8), port: 40000)
    }

    /// The router's address on link `link`.
    public static func routerAddress(link: Int) -> SocketAddress {
        SocketAddress(address: IPAddress(ipv4: 0xC0A8_0003 + UInt32(link) << 8), port: 7000)
    }

    /// The host's virtual address (10.77.0.10) and the router's (10.77.0.1).
    public static let hostVirtual = IPAddress(ipv4: 0x0A4D_000A), routerVirtual = IPAddress(ipv4: 0x0A4D_0001)

    /// Builds the pair and runs `rounds` rounds of timers and deliveries (50 ms apart): enough for the handshake
    /// and every link's first probe.
    public init(links: Int = 1, rounds: Int = 20, routerRekeyAfter: UInt64? = nil, sharedBodies: Bool = false) {
        out = OutboundBatch(capacity: 256, bufferSize: 2048, sharedBodies: sharedBodies)
        func key(_ n: UInt8) -> Key32 { Key32(bytes: [UInt8](repeating: n, count: 32))! }
        var wall: UInt64 = 1_795_000_000_000_000_000
        let clock = { () -> UInt64 in wall += 1_000_000; return wall }
        var counter: UInt32 = 0x1000
        let random = { () -> UInt32 in counter += 1; return counter }
        let hostKey = key(2), routerKey = key(1)
        let virtual = IPNetwork(address: EnginePair.hostVirtual, prefixLength: 32)!
        var routerConfiguration = EngineConfiguration(
            isRouter: true, privateKey: routerKey, virtualAddress: EnginePair.routerVirtual,
            peers: [PeerConfiguration(name: "host", publicKey: TunnelEngine.publicKey(for: hostKey), allowedIPs: [virtual])])
        if let routerRekeyAfter { routerConfiguration.rekeyAfterTime = routerRekeyAfter }
        router = TunnelEngine(configuration: routerConfiguration, wallClock: clock, random: random, ephemeral: { key(3) })
        let hostConfiguration = EngineConfiguration(
            isRouter: false, privateKey: hostKey, virtualAddress: virtual.address,
            peers: [PeerConfiguration(name: "router", publicKey: TunnelEngine.publicKey(for: routerKey), allowedIPs: [])])
        host = TunnelEngine(configuration: hostConfiguration, wallClock: clock, random: random, ephemeral: { key(4) })
        var endpoints: [SocketAddress] = []
        for link in 0..<links {
            router.linkAdded(slot: link, name: "r\(link)", local: EnginePair.routerAddress(link: link))
            host.linkAdded(slot: link, name: "h\(link)", local: EnginePair.hostAddress(link: link))
            endpoints.append(EnginePair.routerAddress(link: link))
        }
        host.setRouterEndpoints(endpoints)
        for _ in 0..<rounds { exchange() }
        recording = false
    }

    deinit { receiveBuffer.deallocate() }

    /// One round: 50 ms pass, both engines' timers run, and what the host sends reaches the router on its own
    /// wire; the router's answers go back.
    public func exchange() {
        now += 50_000_000
        host.tick(now: now, into: out)
        deliverFromHost()
        router.tick(now: now, into: out)
        deliverFromRouter()
    }

    /// Delivers every datagram in `out` from the host to the router (answers go straight back), then completes the
    /// batch. Returns how many inner packets the router delivered to its TUN.
    @discardableResult
    public func deliverFromHost() -> Int {
        var delivered = 0
        for i in 0..<out.count {
            let slot = out.slot(at: i)
            // Only a link's own endpoint is reachable, as on separate wires.
            guard out.destination(at: i) == EnginePair.routerAddress(link: slot) else {
                out.markFailed(i)
                continue
            }
            let length = out.length(at: i)
            out.copyDatagram(at: i, to: receiveBuffer)
            if recording { startupDatagrams.append([UInt8](UnsafeRawBufferPointer(start: receiveBuffer, count: length))) }
            switch router.receive(receiveBuffer, length: length, slot: slot, source: EnginePair.hostAddress(link: slot), now: now) {
            case .deliver: delivered += 1
            case .reply(let replyLength):
                if recording { startupDatagrams.append([UInt8](UnsafeRawBufferPointer(start: router.replyBuffer, count: replyLength))) }
                receiveBuffer.copyMemory(from: router.replyBuffer, byteCount: replyLength)
                _ = host.receive(receiveBuffer, length: replyLength, slot: slot, source: EnginePair.routerAddress(link: slot), now: now)
            case .control(let peer, let kind, let flags, let offset, let bodyLength):
                routerControls.append((peer, kind, flags, [UInt8](UnsafeRawBufferPointer(start: receiveBuffer + offset, count: bodyLength))))
            case .recovered(_, let count):
                for r in 0..<count { if case .deliver = router.recovered(r) { delivered += 1 } }
            case .forward, .none: break
            }
            while router.hasReorderedPackets, let (_, verdict) = router.nextReordered(now: now) { if case .deliver = verdict { delivered += 1 } }
        }
        host.completeTransmission(out)
        return delivered
    }

    /// Delivers every datagram in `out` from the router to the host, then completes the batch. Returns how many
    /// inner packets the host delivered.
    @discardableResult
    public func deliverFromRouter() -> Int {
        var delivered = 0
        for i in 0..<out.count {
            let slot = out.slot(at: i)
            let length = out.length(at: i)
            out.copyDatagram(at: i, to: receiveBuffer)
            switch host.receive(receiveBuffer, length: length, slot: slot, source: EnginePair.routerAddress(link: slot), now: now) {
            case .deliver: delivered += 1
            case .recovered(_, let count):
                for r in 0..<count { if case .deliver = host.recovered(r) { delivered += 1 } }
            case .control(let peer, let kind, let flags, let offset, let bodyLength):
                hostControls.append((peer, kind, flags, [UInt8](UnsafeRawBufferPointer(start: receiveBuffer + offset, count: bodyLength))))
            default: break
            }
            while host.hasReorderedPackets, let (_, verdict) = host.nextReordered(now: now) { if case .deliver = verdict { delivered += 1 } }
        }
        router.completeTransmission(out)
        return delivered
    }

    /// Writes an IPv4 packet of `length` bytes (UDP, 10.77.0.10 -> 10.77.0.1: delivered by the router, not
    /// forwarded) at `p`; byte 28 onwards is a counting pattern.
    public static func writeIPv4(into p: UnsafeMutableRawPointer, length: Int, source: IPAddress = hostVirtual,
                                 destination: IPAddress = routerVirtual) {
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        for i in 0..<length { bytes[i] = UInt8(truncatingIfNeeded: i) }
        bytes[0] = 0x45
        bytes[2] = UInt8(length >> 8); bytes[3] = UInt8(length & 0xff)
        bytes[9] = 17
        let s = source.ipv4Value, d = destination.ipv4Value
        for i in 0..<4 {
            bytes[12 + i] = UInt8(truncatingIfNeeded: s >> (24 - 8 * UInt32(i)))
            bytes[16 + i] = UInt8(truncatingIfNeeded: d >> (24 - 8 * UInt32(i)))
        }
    }
}

extension OutboundBatch {
    /// The batch's datagrams as values (tests only: this allocates).
    public var datagrams: [(slot: Int, destination: SocketAddress, bytes: [UInt8])] {
        (0..<count).map { (slot(at: $0), destination(at: $0), [UInt8](UnsafeRawBufferPointer(start: bytes(at: $0), count: length(at: $0)))) }
    }
}
