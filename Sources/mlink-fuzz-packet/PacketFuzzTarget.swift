import CMLinkShims
import Glibc
import MLinkProtocol
import MLinkTypes

// Fuzz target: every datagram the network can hand the protocol core, decrypted, routed or dropped.
//
// Built two ways (scripts/fuzz.sh): with `-sanitize=fuzzer -D FUZZING` libFuzzer drives
// `LLVMFuzzerTestOneInput`; in the normal build this file is a corpus replayer (`mlink-fuzz-packet FILE...`), so
// the target always compiles and any crash input found can be re-run under a debugger.
//
// State: one router and one host engine with an established session (a real handshake, deterministic keys), so
// inputs reach the AEAD, the window, the probe and routing code, not just the header checks. Invariants checked
// on every input, besides "no crash": a reply is never longer than the datagram that caused it (no
// amplification), and nothing is ever forwarded from the host.

final class PacketHarness {
    let router: TunnelEngine
    let host: TunnelEngine
    var now: UInt64 = 1_000_000_000
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536 + 64, alignment: 16)
    let routerAddress = SocketAddress(address: IPAddress(ipv4: 0xC0A8_0003), port: 7000)
    let hostAddress = SocketAddress(address: IPAddress(ipv4: 0xC0A8_0002), port: 40000)
    /// Real datagrams of the established pair while it starts: the seed corpus.
    var samples: [[UInt8]] = []
    private var recording = true

    init() {
        func key(_ n: UInt8) -> Key32 { Key32(bytes: [UInt8](repeating: n, count: 32))! }
        var wall: UInt64 = 1_795_000_000_000_000_000
        let clock = { () -> UInt64 in wall += 1_000_000; return wall }
        var counter: UInt32 = 0x1000
        let random = { () -> UInt32 in counter += 1; return counter }
        let hostKey = key(2), routerKey = key(1)
        let virtual = IPNetwork(address: IPAddress(ipv4: 0x0A4D_000A), prefixLength: 32)!
        var routerConfiguration = EngineConfiguration(
            isRouter: true, privateKey: routerKey, virtualAddress: IPAddress(ipv4: 0x0A4D_0001),
            peers: [PeerConfiguration(name: "host", publicKey: TunnelEngine.publicKey(for: hostKey), allowedIPs: [virtual])])
        routerConfiguration.rekeyAfterTime = UInt64.max / 4
        router = TunnelEngine(configuration: routerConfiguration, wallClock: clock, random: random, ephemeral: { key(3) })
        let hostConfiguration = EngineConfiguration(
            isRouter: false, privateKey: hostKey, virtualAddress: virtual.address,
            peers: [PeerConfiguration(name: "router", publicKey: TunnelEngine.publicKey(for: routerKey), allowedIPs: [])])
        host = TunnelEngine(configuration: hostConfiguration, wallClock: clock, random: random, ephemeral: { key(4) })
        router.linkAdded(slot: 0, name: "r0", local: routerAddress)
        host.linkAdded(slot: 0, name: "h0", local: hostAddress)
        host.setRouterEndpoints([routerAddress])
        for _ in 0..<20 { exchange() }
        recording = false
    }

    /// One round of timers and deliveries between the two engines, recording what crossed.
    func exchange() {
        now += 50_000_000
        for datagram in host.tick(now: now) {
            if recording { samples.append(datagram.bytes) }
            if case .reply(let length) = deliver(datagram.bytes, to: router, from: hostAddress) {
                let reply = [UInt8](UnsafeRawBufferPointer(start: router.replyBuffer, count: length))
                if recording { samples.append(reply) }
                _ = deliver(reply, to: host, from: routerAddress)
            }
        }
        _ = router.tick(now: now)
    }

    func deliver(_ bytes: [UInt8], to engine: TunnelEngine, from source: SocketAddress) -> TunnelEngine.Verdict {
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { buffer.copyMemory(from: base, byteCount: raw.count) }
        }
        return engine.receive(buffer, length: bytes.count, slot: 0, source: source, now: now)
    }

    /// Feeds one input to both engines and checks the invariants.
    func run(_ input: UnsafeRawBufferPointer) {
        guard input.count <= 65535 else { return }
        now += 1_000_000
        for (engine, source) in [(router, hostAddress), (host, routerAddress)] {
            if let base = input.baseAddress { buffer.copyMemory(from: base, byteCount: input.count) }
            let verdict = engine.receive(buffer, length: input.count, slot: 0, source: source, now: now)
            switch verdict {
            case .reply(let length):
                precondition(length <= input.count, "amplification: \(input.count) bytes answered with \(length)")
            case .forward:
                precondition(engine === router, "a host forwarded a packet")
            case .deliver, .none:
                break
            }
        }
        if now % 64_000_000 == 0 { exchange() }
    }
}

nonisolated(unsafe) let harness = PacketHarness()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    harness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
/// The entry point SwiftPM links for this executable, handing control to libFuzzer.
@_cdecl("mlink_fuzz_packet_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzzOneInput(data, size) }
}
#else
/// Corpus replayer: `mlink-fuzz-packet FILE...` runs each file as one input; `--write-seeds DIR` writes the
/// harness's real datagrams as a seed corpus.
@main
enum Replayer {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--write-seeds", arguments.count == 2 {
            for (i, sample) in harness.samples.enumerated() {
                let path = arguments[1] + "/seed-\(i)"
                guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
                _ = sample.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
                fclose(file)
            }
            print("\(harness.samples.count) seeds written to \(arguments[1])")
        } else {
            for path in arguments {
                guard let file = fopen(path, "rb") else { fatalError("cannot read \(path)") }
                var bytes = [UInt8](repeating: 0, count: 65536)
                let count = fread(&bytes, 1, bytes.count, file)
                fclose(file)
                bytes.withUnsafeBytes { harness.run(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
            print("\(arguments.count) inputs replayed, no invariant broken")
        }
    }
}
#endif
