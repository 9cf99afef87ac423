import CMLinkShims
import Glibc
import MLinkProtocol
import MLinkTestSupport
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
// amplification), nothing is ever forwarded from the host, and no counter of a session is delivered twice.

final class PacketHarness {
    /// The established pair (the router never rekeys, so a long run keeps one session).
    let pair = EnginePair(links: 1, routerRekeyAfter: UInt64.max / 4)
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536 + 64, alignment: 16)
    /// (engine, receiver index, counter) of every delivered or forwarded packet: none may come twice.
    var delivered = Set<[UInt64]>()
    /// Real datagrams of the pair while it started, and sealed-payload inputs for the control (also LINK_ROLES,
    /// PATH_SILENT and FEEDBACK of PROTOCOL.md 14.3) and parity parsers, and of the cookie exchange: the seed corpus.
    var samples: [[UInt8]] {
        // ADDRESS_REQUEST-shaped control (reliable, 5-byte body) and a k = 2, m = 1 parity payload.
        let control: [UInt8] = [PacketHarness.sealedControl, 1, 0x80, 5, 0, 1, 0, 0, 0, 1, 4, 10, 77, 0]
        let parity: [UInt8] = [PacketHarness.sealedParity, 0, 0, 0, 0, 2, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 1, 2, 3]
        // LINK_ROLES and PATH_SILENT, PROTOCOL.md 14.3's examples.
        let linkRoles: [UInt8] = [PacketHarness.sealedControl, 0x20, 0x80, 16, 0, 1, 0, 0, 0,
                                  3, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 1, 2, 1, 0]
        let pathSilent: [UInt8] = [PacketHarness.sealedControl, 0x21, 0, 8, 0, 9, 0, 0, 0, 0, 0, 0x3e, 0, 0xd2, 0x04, 0, 0]
        // FEEDBACK (kind 34), PROTOCOL.md 14.3's example: a NACK range and a path summary.
        let feedback: [UInt8] = [PacketHarness.sealedControl, 0x22, 0x00, 0x22, 0x00, 0x05, 0x00, 0x00, 0x00,
                                 0xe8, 0x03, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x02, 0x00,
                                 0x00, 0x01, 0x1f, 0x05, 0xf4, 0x01, 0x00, 0x00, 0x0c, 0x00, 0xfa, 0x00, 0xea, 0x01, 0x00, 0x00]
        return pair.startupDatagrams + [control, parity, linkRoles, pathSilent, feedback] + cookieSamples
            + RouteBodyFuzzing.seeds + LeaseBodyFuzz.seeds
    }
    /// An input starting with this byte is a control payload, sealed by the host and received by the router, so
    /// the control parser sees arbitrary bodies past the AEAD (a mutated sealed datagram never gets there).
    static let sealedControl: UInt8 = 0xfe
    /// The same for parity payloads.
    static let sealedParity: UInt8 = 0xfd

    /// A valid-mac1 initiation with a random Noise message (what a flood sends) and the cookie reply of a router
    /// under load to it (docs/PROTOCOL.md section 5.2), so the fuzzer starts from wire format 4's third message.
    private(set) var cookieSamples: [[UInt8]] = []

    init() {
        var rng = SplitMix64(seed: 4)
        let routerPublic = TunnelEngine.publicKey(for: Key32(bytes: [UInt8](repeating: 1, count: 32))!)
        func floodInitiation() -> [UInt8] {
            TunnelEngine.initiationShapedDatagram(routerPublicKey: routerPublic,
                                                  noise: (0..<112).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        // Past 100 initiations a second the router is under load and answers with cookie replies (for 1 s of the
        // harness clock, about the first 1000 inputs).
        let flooder = SocketAddress(address: IPAddress(ipv4: 0xC000_0207), port: 40000)
        for _ in 0..<102 {
            var initiation = floodInitiation()
            let verdict = initiation.withUnsafeMutableBytes {
                pair.router.receive($0.baseAddress!, length: $0.count, slot: 0, source: flooder, now: pair.now)
            }
            if case .reply(let length) = verdict, cookieSamples.isEmpty {
                cookieSamples = [initiation, [UInt8](UnsafeRawBufferPointer(start: pair.router.replyBuffer, count: length))]
            }
        }
    }

    /// Feeds one input to both engines and checks the invariants.
    func run(_ input: UnsafeRawBufferPointer) {
        guard input.count <= 65535 else { return }
        LeaseBodyFuzz.run(input)
        RouteBodyFuzzing.run(input)
        pair.now += 1_000_000
        if let first = input.first, first == PacketHarness.sealedControl || first == PacketHarness.sealedParity {
            runSealed(UnsafeRawBufferPointer(rebasing: input.dropFirst()), type: first == PacketHarness.sealedControl ? .control : .parity)
            return
        }
        for (n, (engine, source)) in [(pair.router, EnginePair.hostAddress(link: 0)), (pair.host, EnginePair.routerAddress(link: 0))].enumerated() {
            if let base = input.baseAddress { buffer.copyMemory(from: base, byteCount: input.count) }
            let verdict = engine.receive(buffer, length: input.count, slot: 0, source: source, now: pair.now)
            switch verdict {
            case .reply(let length):
                precondition(length <= input.count, "amplification: \(input.count) bytes answered with \(length)")
            case .forward:
                precondition(engine === pair.router, "a host forwarded a packet")
                recordDelivery(engine: n)
            case .deliver:
                recordDelivery(engine: n)
            case .control(_, _, _, let offset, let length):
                precondition(offset >= 0 && length >= 0 && offset + length <= input.count,
                             "control body \(offset)+\(length) outside a \(input.count)-byte datagram")
                recordDelivery(engine: n)
            case .recovered(_, let count):
                // A rebuilt packet carries a counter the window had never seen: it is a delivery like any other.
                precondition(count >= 1 && count <= 8, "\(count) packets rebuilt from one parity message")
                for r in 0..<count { _ = engine.recovered(r) }
            case .none:
                break
            }
        }
        if pair.now % 64_000_000 == 0 { pair.exchange() }
    }

    /// Seals `payload` as a host's control or parity message and hands it to the router.
    private func runSealed(_ payload: UnsafeRawBufferPointer, type: WireFormat.MessageType) {
        guard payload.count + WireFormat.transportOverhead <= pair.out.bufferSize, let base = payload.baseAddress else { return }
        buffer.copyMemory(from: base, byteCount: payload.count)
        pair.host.encapsulate(buffer, length: payload.count, to: 0, inPlace: false, into: pair.out, now: pair.now, type: type)
        for i in 0..<pair.out.count {
            let length = pair.out.length(at: i)
            buffer.copyMemory(from: pair.out.bytes(at: i), byteCount: length)
            switch pair.router.receive(buffer, length: length, slot: 0, source: EnginePair.hostAddress(link: 0), now: pair.now) {
            case .control(_, _, _, let offset, let bodyLength):
                precondition(offset >= WireFormat.transportHeaderSize && offset + bodyLength <= length - WireFormat.tagSize,
                             "control body \(offset)+\(bodyLength) outside the \(length)-byte message's payload")
            case .recovered(_, let count):
                precondition(count >= 1 && count <= 8, "\(count) packets rebuilt from one parity message")
                for r in 0..<count { _ = pair.router.recovered(r) }
            case .reply(let replyLength):
                precondition(replyLength <= length, "amplification")
            default:
                break
            }
        }
        pair.host.completeTransmission(pair.out)
        pair.router.flushControl(now: pair.now, into: pair.out)  // ACKs: the router's answer path too
        pair.router.completeTransmission(pair.out)
    }

    /// The fuzz invariant of wire format 4: no counter of a session is ever delivered twice.
    private func recordDelivery(engine: Int) {
        let receiver = UInt64(buffer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let counter = buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let key = [UInt64(engine), receiver, counter]
        precondition(!delivered.contains(key), "counter \(counter) of session \(receiver) delivered twice")
        delivered.insert(key)
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
