import CAllocationCounter
import Glibc
import MLinkProtocol
import MLinkTestSupport
import MLinkTypes

/// The protocol core's per-packet cost without any I/O: a host engine encapsulates batches of 1400-byte packets
/// through the daemon's one outbound call, a router engine receives every copy (verify, window, decrypt, route).
///
///     mlink-bench-engine [PACKETS]        packets/s and Gbit/s of inner traffic, 1 link and 2 links
///     mlink-bench-engine --links N PACKETS   one run (for callgrind: instructions per packet)
///     mlink-bench-engine --check-allocations  exits 1 unless a steady stream over 2 links allocates nothing
///     mlink-bench-engine --check-aggregate-allocations  the same for one flow striped over 2 links (aggregate mode)
///     mlink-bench-engine --adaptive PACKETS, --check-adaptive-allocations   adaptive mode (EngineBenchmark+Adaptive.swift)
///
/// With two links the second copy is a duplicate: verified, not decrypted. Its header shares the first copy's
/// sealed body, as in the daemon (`sharedBodies`); the pair gathers both parts where the kernel would.
/// `scripts/bench.sh` runs it next to the network benchmark, so the share of the tunnel's cost that is the
/// protocol core is visible.
@main
enum EngineBenchmark {
    static let size = 1400

    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--check-allocations" {
            exit(checkAllocations() ? 0 : 1)
        }
        if arguments.first == "--check-aggregate-allocations" {
            exit(checkAggregateAllocations() ? 0 : 1)
        }
        if arguments.first == "--check-adaptive-allocations" { exit(checkAdaptiveAllocations() ? 0 : 1) }  // +Adaptive
        if arguments.first == "--adaptive", arguments.count == 2, let packets = Int(arguments[1]) {
            reportAdaptive(packets: packets)
            return
        }
        if arguments.first == "--links", arguments.count == 3, let links = Int(arguments[1]), let packets = Int(arguments[2]) {
            report(links: links, packets: packets)
            return
        }
        let packets = arguments.first.flatMap { Int($0) } ?? 300_000
        for links in [1, 2] { report(links: links, packets: packets) }
    }

    static func report(links: Int, packets: Int) {
        let pair = EnginePair(links: links, sharedBodies: true)
        let stream = Stream(pair: pair)
        let start = clock()
        let delivered = stream.run(packets: packets)
        let seconds = Double(clock() - start) / Double(CLOCKS_PER_SEC)
        let rate = Double(packets) / seconds
        print("engine, \(links) link\(links == 1 ? " " : "s"): \(packets) packets of \(size) B in "
            + "\(round(seconds * 100) / 100) s CPU: \(Int(rate)) packets/s, "
            + "\(round(rate * Double(size) * 8 / 1e7) / 100) Gbit/s inner, delivered \(delivered)")
    }

    /// Batches of 32 packets through `encapsulate`, every copy delivered to the router, the timers every 5 ms.
    final class Stream {
        let pair: EnginePair
        let packets = PacketBatch(capacity: 32, packetCapacity: 1500)
        let template = UnsafeMutableRawPointer.allocate(byteCount: EngineBenchmark.size, alignment: 64)
        private var lastTick: UInt64 = 0

        init(pair: EnginePair) {
            self.pair = pair
            EnginePair.writeIPv4(into: template, length: EngineBenchmark.size)
        }

        deinit { template.deallocate() }

        /// Sends `count` packets (1 µs of fake time apart); returns how many the router delivered.
        func run(packets count: Int) -> Int {
            var delivered = 0, sent = 0
            while sent < count {
                packets.removeAll()
                while !packets.isFull && sent + packets.count < count {
                    packets.payload(at: packets.count).copyMemory(from: template, byteCount: EngineBenchmark.size)
                    packets.append(length: EngineBenchmark.size)
                }
                pair.now += UInt64(packets.count) * 1000
                var next = 0
                while next < packets.count {
                    next = pair.host.encapsulate(packets, from: next, into: pair.out, now: pair.now)
                    delivered += pair.deliverFromHost()
                }
                sent += packets.count
                if pair.now - lastTick >= 5_000_000 {
                    lastTick = pair.now
                    pair.host.tick(now: pair.now, into: pair.out)
                    pair.deliverFromHost()
                    pair.router.tick(now: pair.now, into: pair.out)
                    pair.deliverFromRouter()
                }
            }
            return delivered
        }
    }

    /// Zero heap allocations per packet in steady state: 2 links, 100,000 packets after a warm-up of 10,000, with
    /// the timers running. Checks first that the counter sees an allocation at all.
    static func checkAllocations() -> Bool {
        mlink_allocations_start()
        let probe = [UInt8](repeating: 1, count: Int(clock() & 0x7f) + 64)
        let seen = mlink_allocations_stop()
        guard seen >= 1, probe.count >= 64 else {
            print("allocation counter broken: an array allocation was not counted")
            return false
        }
        let pair = EnginePair(links: 2, sharedBodies: true)
        let stream = Stream(pair: pair)
        let warmUp = stream.run(packets: 10_000)
        mlink_allocations_start()
        let delivered = stream.run(packets: 100_000)
        let allocations = mlink_allocations_stop()
        let duplicates = pair.router.peers[0].counters.duplicates
        print("allocations: \(allocations) for 100000 packets x 2 links (delivered \(delivered), duplicates \(duplicates))")
        return warmUp == 10_000 && delivered == 100_000 && duplicates == 110_000 && allocations == 0
    }

    /// Zero heap allocations per packet while aggregate mode stripes one flow over 2 links (the scheduler, the
    /// stripe distance, the receiver's reorder path), timers running.
    static func checkAggregateAllocations() -> Bool {
        let pair = EnginePair(links: 2, sharedBodies: true)
        pair.host.setPolicies(PolicySettings(policies: [], defaultPolicy: FlowPolicy(name: "bulk", mode: .aggregate)))
        let stream = Stream(pair: pair)
        let warmUp = stream.run(packets: 10_000)
        mlink_allocations_start()
        let delivered = stream.run(packets: 100_000)
        let allocations = mlink_allocations_stop()
        let counts = pair.host.aggregateCounts(peer: 0)
        print("allocations: \(allocations) for 100000 packets striped over 2 links (delivered \(delivered), "
            + "striped \(counts.striped))")
        return warmUp == 10_000 && delivered == 100_000 && counts.striped >= 100_000 && allocations == 0
    }
}
