import MLinkTestSupport
import MLinkTypes
@testable import MLinkProtocol

/// An in-memory network of protocol engines with a fake clock: the daemon's job, without sockets or time.
///
/// Each "wire" is one LAN of the seed topology: `192.168.N.0/24` is netN. A datagram sent from a node's slot is
/// carried only when its local address and the destination sit on the same wire, the wire is not cut and its
/// loss function keeps it; it then reaches the node owning the destination after the wire's fixed latency.
/// Events run in time order; every node's `tick(now:)` runs every `tickInterval`.
final class FakeNetwork {
    /// One engine and what the daemon around it would own.
    final class Node {
        let name: String
        var engine: TunnelEngine
        /// Slot -> the local address its socket is bound to.
        let addresses: [Int: SocketAddress]
        /// Inner packets written to this node's TUN device, in order.
        var tun: [[UInt8]] = []
        /// Control messages the engine handed up: peer, kind, kind flags, body.
        var controls: [(peer: Int, kind: UInt8, flags: UInt8, body: [UInt8])] = []

        init(name: String, engine: TunnelEngine, addresses: [Int: SocketAddress]) {
            self.name = name
            self.engine = engine
            self.addresses = addresses
        }

        /// Sequence numbers of the delivered inner packets (see `Fixture.ipv4Packet`).
        var deliveredSequences: [UInt64] { tun.compactMap(Fixture.sequence(ofInner:)) }
    }

    /// A datagram on its way.
    struct Datagram {
        var fromNode: Int
        var slot: Int
        var source: SocketAddress
        var destination: SocketAddress
        var bytes: [UInt8]
    }

    /// One LAN: cut, lossy or slow on demand.
    final class Wire {
        var isCut = false
        /// One-way delay in nanoseconds.
        var latency: UInt64 = 0
        /// Per-datagram delay, overriding `latency` when set.
        var latencyOf: ((Datagram) -> UInt64)?
        /// Called with the 1-based ordinal of each datagram offered to the wire; true drops it.
        var drop: ((Int, Datagram) -> Bool)?
        private(set) var offered = 0
        /// Datagrams the wire carried (not cut, not dropped), in order.
        private(set) var carried: [Datagram] = []
        private(set) var dropped = 0

        /// Decides the fate of one datagram; true when it is carried.
        fileprivate func offer(_ datagram: Datagram) -> Bool {
            offered += 1
            if isCut || drop?(offered, datagram) == true {
                dropped += 1
                return false
            }
            carried.append(datagram)
            return true
        }
    }

    private struct Event {
        var time: UInt64
        var order: Int
        var datagram: Datagram
        var toNode: Int
        var toSlot: Int
    }

    /// The fake monotonic clock (ns). Starts at 1 s: a connection's first probe is due once `now` passes
    /// the probe interval.
    private(set) var now: UInt64 = Time.second
    var tickInterval: UInt64 = 10 * Time.millisecond
    /// Flush the engine's control work after each delivery, as the daemon's loop does after a read.
    var flushesControlOnReceive = true
    private var lastTick: UInt64 = Time.second
    private(set) var nodes: [Node] = []
    private(set) var wires: [UInt8: Wire] = [:]
    private var events: [Event] = []
    /// The daemon's preallocated batches, shared by the nodes (one runs at a time).
    let packets = PacketBatch(capacity: 1, packetCapacity: 65535 - WireFormat.transportOverhead)
    let out = OutboundBatch(capacity: 256, bufferSize: 2048)
    private var eventOrder = 0
    /// Every datagram any node sent, carried or not (what a capture on the sender would see).
    private(set) var sent: [Datagram] = []
    /// Datagrams with no wire between source and destination, or no node at the destination.
    private(set) var unroutable = 0
    /// True for (node, slot) when that node's kernel refuses to send on the link (the datagram is marked failed).
    var refuses: ((Int, Int) -> Bool)?
    /// Every verdict a node's engine returned for a delivered datagram.
    private(set) var verdicts: [(node: Int, verdict: TunnelEngine.Verdict)] = []

    // MARK: Topology

    @discardableResult
    func addNode(_ name: String, engine: TunnelEngine, addresses: [Int: SocketAddress]) -> Int {
        nodes.append(Node(name: name, engine: engine, addresses: addresses))
        return nodes.count - 1
    }

    /// The wire of `192.168.N.0/24`, made on first use.
    func wire(_ net: UInt8) -> Wire {
        if let wire = wires[net] { return wire }
        let wire = Wire()
        wires[net] = wire
        return wire
    }

    /// Everything every wire carried, wire by wire in net order (deterministic, unlike dictionary order).
    var allCarried: [Datagram] {
        wires.keys.sorted().flatMap { wires[$0]!.carried }
    }

    /// The LAN number of a `192.168.N.x` address, or nil.
    private func lan(of address: SocketAddress) -> UInt8? {
        let bytes = address.address.bytes
        guard !address.address.isIPv6, bytes[0] == 192, bytes[1] == 168 else { return nil }
        return bytes[2]
    }

    /// The node and slot bound to `destination`, or nil.
    func owner(of destination: SocketAddress) -> (node: Int, slot: Int)? {
        for (n, node) in nodes.enumerated() {
            for (slot, address) in node.addresses where address == destination { return (n, slot) }
        }
        return nil
    }

    // MARK: Sending

    /// Sends `bytes` from `node`'s socket at `slot` to `destination`, through the wire between them.
    func send(from node: Int, slot: Int, to destination: SocketAddress, bytes: [UInt8]) {
        guard let source = nodes[node].addresses[slot] else {
            unroutable += 1
            return
        }
        let datagram = Datagram(fromNode: node, slot: slot, source: source, destination: destination, bytes: bytes)
        sent.append(datagram)
        guard let net = lan(of: source), lan(of: destination) == net, let target = owner(of: destination) else {
            unroutable += 1
            return
        }
        let wire = wire(net)
        guard wire.offer(datagram) else { return }
        schedule(datagram, at: now + (wire.latencyOf?(datagram) ?? wire.latency), to: target.node, slot: target.slot)
    }

    /// Puts a datagram on the air as if `source` had sent it, bypassing wires (an attacker or a replay).
    func inject(_ bytes: [UInt8], to node: Int, slot: Int, from source: SocketAddress) {
        let datagram = Datagram(fromNode: -1, slot: -1, source: source,
                                destination: nodes[node].addresses[slot]!, bytes: bytes)
        schedule(datagram, at: now, to: node, slot: slot)
    }

    private func schedule(_ datagram: Datagram, at time: UInt64, to node: Int, slot: Int) {
        eventOrder += 1
        let event = Event(time: time, order: eventOrder, datagram: datagram, toNode: node, toSlot: slot)
        let position = events.firstIndex { ($0.time, $0.order) > (time, eventOrder) } ?? events.count
        events.insert(event, at: position)
    }

    /// The daemon's outbound path for one inner packet: one `encapsulate` into the node's batch (a `PacketBatch`
    /// read from TUN, or, for a router forwarding, the packet sealed in place), then every datagram of the batch
    /// is sent and the batch completed. Returns the number of copies sent.
    @discardableResult
    func transmit(from node: Int, packet: [UInt8], peer: Int? = nil) -> Int {
        let engine = nodes[node].engine
        guard !packet.isEmpty, packet.count <= packets.packetCapacity else { return 0 }
        if let peer {
            var buffer = [UInt8](repeating: 0xee, count: WireFormat.transportOverhead + packet.count)
            buffer.replaceSubrange(WireFormat.transportHeaderSize..<(WireFormat.transportHeaderSize + packet.count), with: packet)
            buffer.withUnsafeMutableBytes {
                _ = engine.encapsulate($0.baseAddress! + WireFormat.transportHeaderSize, length: packet.count, to: peer,
                                       inPlace: true, into: out, now: now)
            }
            return flush(from: node)
        }
        packets.removeAll()
        packet.withUnsafeBytes { packets.payload(at: 0).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        packets.append(length: packet.count)
        _ = engine.encapsulate(packets, into: out, now: now)
        return flush(from: node)
    }

    /// `node` stops in an orderly way: its engine's CLOSE messages leave now (the node itself keeps running).
    func close(node: Int) {
        nodes[node].engine.close(now: now, into: out)
        _ = flush(from: node)
    }

    /// Sends what `node`'s engine put in the batch and completes it. Returns the number of datagrams.
    private func flush(from node: Int) -> Int {
        let count = out.count
        for (i, datagram) in out.datagrams.enumerated() {
            // The kernel refusing the datagram (ENETUNREACH, ENODEV...): the daemon marks it failed.
            if refuses?(node, datagram.slot) == true {
                out.markFailed(i)
                continue
            }
            send(from: node, slot: datagram.slot, to: datagram.destination, bytes: datagram.bytes)
        }
        nodes[node].engine.completeTransmission(out)
        return count
    }

    // MARK: Receiving

    private func deliver(_ event: Event) {
        let node = nodes[event.toNode]
        var buffer = event.datagram.bytes
        if buffer.isEmpty { buffer.append(0) }  // a valid pointer; the length passed stays 0
        let length = event.datagram.bytes.count
        let verdict = buffer.withUnsafeMutableBytes {
            node.engine.receive($0.baseAddress!, length: length, slot: event.toSlot, source: event.datagram.source, now: now)
        }
        verdicts.append((event.toNode, verdict))
        switch verdict {
        case .reply(let replyLength):
            let reply = Array(UnsafeRawBufferPointer(start: node.engine.replyBuffer, count: replyLength))
            send(from: event.toNode, slot: event.toSlot, to: event.datagram.source, bytes: reply)
        case .forward(let peer, let offset, let packetLength):
            transmit(from: event.toNode, packet: Array(buffer[offset..<(offset + packetLength)]), peer: peer)
        case .deliver(let offset, let packetLength):
            node.tun.append(Array(buffer[offset..<(offset + packetLength)]))
        case .control(let peer, let kind, let flags, let offset, let bodyLength):
            node.controls.append((peer, kind, flags, Array(buffer[offset..<(offset + bodyLength)])))
        case .recovered(_, let count):
            for r in 0..<count {
                let rebuilt = node.engine.recoveredBuffer(r)
                switch node.engine.recovered(r) {
                case .deliver(let offset, let packetLength):
                    node.tun.append(Array(UnsafeRawBufferPointer(start: rebuilt + offset, count: packetLength)))
                case .forward(let peer, let offset, let packetLength):
                    transmit(from: event.toNode, packet: Array(UnsafeRawBufferPointer(start: rebuilt + offset, count: packetLength)), peer: peer)
                default: break
                }
            }
        case .none:
            break
        }
    }

    // MARK: Time

    /// Node -> when it resumes: a stalled node (its process descheduled) runs no tick and reads nothing until
    /// then; it wakes as the daemon's loop does (ForwardingCore+EventLoop.swift): it reads what waits in its
    /// sockets first, then runs its tick.
    private var stalls: [Int: UInt64] = [:]

    /// Stalls `node` for `duration` from now (`stalls`).
    func stall(_ node: Int, for duration: UInt64) {
        stalls[node] = now + duration
    }

    /// Runs the network for `duration` of fake time: deliveries in time order, ticks every `tickInterval`.
    func advance(by duration: UInt64) {
        let end = now + duration
        while true {
            let nextTick = lastTick + tickInterval
            let wake = stalls.min { $0.value < $1.value }
            // A node whose streams' silence crosses a PATH_SILENT threshold before its next tick wakes for it, as the
            // daemon's loop does (`silenceDue`); what arrives by then is read first.
            let silent = nodes.indices.filter { stalls[$0] == nil && nodes[$0].engine.silenceDue < nextTick }
                .min { nodes[$0].engine.silenceDue < nodes[$1].engine.silenceDue }
            let horizon = silent.map { nodes[$0].engine.silenceDue } ?? nextTick
            if let wake, wake.value <= horizon, wake.value <= end, events.first.map({ $0.time >= wake.value }) ?? true {
                now = max(now, wake.value)
                stalls[wake.key] = nil
                let waiting = events.filter { $0.toNode == wake.key && $0.time <= now }
                events.removeAll { $0.toNode == wake.key && $0.time <= now }
                for event in waiting { deliver(event) }
                nodes[wake.key].engine.tick(now: now, into: out)
                _ = flush(from: wake.key)
            } else if let first = events.first, first.time <= horizon, first.time <= end {
                events.removeFirst()
                now = max(now, first.time)
                if let until = stalls[first.toNode], now < until {  // read when the node wakes, before its tick
                    schedule(first.datagram, at: until, to: first.toNode, slot: first.toSlot)
                    continue
                }
                deliver(first)
                // The daemon sends what the datagrams it read made due (a takeover, an escalation, repairs) in the
                // same wake-up (ForwardingCore+ControlMessages.swift).
                if flushesControlOnReceive, nodes[first.toNode].engine.hasControlWork {
                    nodes[first.toNode].engine.flushControl(now: now, into: out)
                    _ = flush(from: first.toNode)
                }
            } else if let silent, horizon <= end {
                now = max(now, horizon)
                nodes[silent].engine.checkSilence(now: now, into: out)
                _ = flush(from: silent)
            } else if nextTick <= end {
                now = nextTick
                lastTick = nextTick
                for n in nodes.indices where stalls[n] == nil {
                    nodes[n].engine.tick(now: now, into: out)
                    _ = flush(from: n)
                }
            } else {
                break
            }
        }
        now = end
    }

    /// Sends inner packets from `node`, one every `interval`, running the network in between.
    func stream(from node: Int, source: String, destination: String, sequences: Range<UInt64>,
                interval: UInt64 = 10 * Time.millisecond, before: ((UInt64) -> Void)? = nil) {
        for sequence in sequences {
            before?(sequence)
            transmit(from: node, packet: Fixture.ipv4Packet(source: source, destination: destination, sequence: sequence))
            advance(by: interval)
        }
    }
}

/// The seed topology: vm0 and vm2, each on two LANs to the router vm1.
///
///     vm0 slot 0 192.168.0.2:40000 -- net0 -- 192.168.0.3:7000 slot 0
///     vm0 slot 1 192.168.1.2:40001 -- net1 -- 192.168.1.3:7000 slot 1   vm1 (router)
///     vm2 slot 0 192.168.2.2:40000 -- net2 -- 192.168.2.3:7000 slot 2
///     vm2 slot 1 192.168.3.2:40001 -- net3 -- 192.168.3.3:7000 slot 3
enum Seed {
    static let vm0 = 0, router = 1, vm2 = 2
    /// Peer indices on the router.
    static let routerPeerVM0 = 0, routerPeerVM2 = 1
    static let vm0Address = "10.77.0.10", vm2Address = "10.77.0.20", routerAddress = "10.77.0.1"
    /// Private keys (engines derive the public ones).
    static let routerKey = Fixture.key(1), vm0Key = Fixture.key(10), vm2Key = Fixture.key(20)

    static let routerSlots: [Int: SocketAddress] = [
        0: Fixture.socket("192.168.0.3:7000"), 1: Fixture.socket("192.168.1.3:7000"),
        2: Fixture.socket("192.168.2.3:7000"), 3: Fixture.socket("192.168.3.3:7000"),
    ]

    static func hostEngine(key: Key32, address: String, links: [Int: SocketAddress], routerEndpoints: [SocketAddress],
                           indexBase: UInt32) -> TunnelEngine {
        let router = PeerConfiguration(name: "vm1", publicKey: TunnelEngine.publicKey(for: routerKey),
                                       allowedIPs: [Fixture.network("10.77.0.0/24")])
        let configuration = EngineConfiguration(isRouter: false, privateKey: key, virtualAddress: Fixture.address(address),
                                                peers: [router])
        let engine = TunnelEngine(configuration: configuration, wallClock: Fixture.wallClock,
                                  random: Fixture.indexSource(base: indexBase))
        for (slot, local) in links.sorted(by: { $0.key < $1.key }) {
            engine.linkAdded(slot: slot, name: "enp\(slot)", local: local)
        }
        engine.setRouterEndpoints(routerEndpoints)
        return engine
    }

    static func routerEngine(indexBase: UInt32 = 0x3000_0000, slots: [Int: SocketAddress] = routerSlots) -> TunnelEngine {
        let peers = [
            PeerConfiguration(name: "vm0", publicKey: TunnelEngine.publicKey(for: vm0Key),
                              allowedIPs: [Fixture.network("10.77.0.10/32")]),
            PeerConfiguration(name: "vm2", publicKey: TunnelEngine.publicKey(for: vm2Key),
                              allowedIPs: [Fixture.network("10.77.0.20/32")]),
        ]
        let configuration = EngineConfiguration(isRouter: true, privateKey: routerKey,
                                                virtualAddress: Fixture.address(routerAddress), peers: peers)
        let engine = TunnelEngine(configuration: configuration, wallClock: Fixture.wallClock,
                                  random: Fixture.indexSource(base: indexBase))
        for (slot, local) in slots.sorted(by: { $0.key < $1.key }) {
            engine.linkAdded(slot: slot, name: "enp\(slot)", local: local)
        }
        return engine
    }

    /// The three engines wired as the seed describes; nothing sent yet. With `thirdLink`, vm0 has a third link
    /// (its slot 2, on 192.168.4.0/24 to the router's slot 4), like the lab's `net3`.
    static func network(thirdLink: Bool = false) -> FakeNetwork {
        let network = FakeNetwork()
        var vm0Links = [0: Fixture.socket("192.168.0.2:40000"), 1: Fixture.socket("192.168.1.2:40001")]
        var vm0Endpoints = [routerSlots[0]!, routerSlots[1]!]
        var slots = routerSlots
        if thirdLink {
            vm0Links[2] = Fixture.socket("192.168.4.2:40002")
            slots[4] = Fixture.socket("192.168.4.3:7000")
            vm0Endpoints.append(slots[4]!)
        }
        let vm2Links = [0: Fixture.socket("192.168.2.2:40000"), 1: Fixture.socket("192.168.3.2:40001")]
        network.addNode("vm0", engine: hostEngine(key: vm0Key, address: vm0Address, links: vm0Links,
                                                  routerEndpoints: vm0Endpoints, indexBase: 0x1000_0000),
                        addresses: vm0Links)
        network.addNode("vm1", engine: routerEngine(slots: slots), addresses: slots)
        network.addNode("vm2", engine: hostEngine(key: vm2Key, address: vm2Address, links: vm2Links,
                                                  routerEndpoints: [routerSlots[2]!, routerSlots[3]!],
                                                  indexBase: 0x2000_0000),
                        addresses: vm2Links)
        return network
    }

    /// The seed network with every session up (a few probe intervals run).
    static func establishedNetwork(thirdLink: Bool = false) -> FakeNetwork {
        let network = network(thirdLink: thirdLink)
        network.advance(by: 600 * Time.millisecond)
        return network
    }
}

extension FakeNetwork {
    var vm0: TunnelEngine { nodes[Seed.vm0].engine }
    var router: TunnelEngine { nodes[Seed.router].engine }
    var vm2: TunnelEngine { nodes[Seed.vm2].engine }

    /// The router as a peer of host `node` (index 0 on a host).
    func routerPeer(of node: Int) -> Peer { nodes[node].engine.peers[0] }

    /// Host `node`'s connection with path id `pathID`.
    func connection(of node: Int, pathID: UInt16) -> Connection? {
        routerPeer(of: node).connections.first { $0.pathID == pathID }
    }

    /// The router's connection to peer `peer` learned from the host's path `remotePathID`.
    func routerConnection(peer: Int, remotePathID: UInt16) -> Connection? {
        router.peers[peer].connections.first { $0.remotePathID == remotePathID }
    }

    /// A transport datagram decrypted with whichever session of its receiver authenticates it (nil: none).
    func plaintext(of datagram: Datagram) -> [UInt8]? {
        guard let receiver = owner(of: datagram.destination)?.node else { return nil }
        let sessions = nodes[receiver].engine.peers.flatMap { [$0.session, $0.previousSession, $0.nextSession] }
        let length = datagram.bytes.count
        for case let session? in sessions where session.localIndex == datagram.bytes.le32(4) {
            if let opened = session.opened(datagram.bytes) { return opened }
        }
        return nil
    }

    /// Transport datagrams of `type` that `node` sent, in order.
    func sentTransport(by node: Int, type: WireFormat.MessageType) -> [Datagram] {
        sent.filter { $0.fromNode == node && $0.bytes.first == type.rawValue }
    }
}
