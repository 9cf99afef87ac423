import ArgumentParser
import Foundation
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// `mlink-lab flood --to ADDRESS:PORT --router-key KEY --interface IF --first-source ADDRESS --sources N ...`:
/// a handshake flood for load tests (tests/integration/86-cookie-flood.sh).
///
/// Sends initiation-shaped datagrams with a valid mac1 and a random Noise message (what anyone who knows the
/// router's public key can make, docs/PROTOCOL.md section 5.2) from N consecutive source addresses, one socket
/// each, bound on INTERFACE in the current namespace (the test adds the addresses first). Cookie replies reach
/// the sockets but are never used: this is the flood a spoofing attacker can send. Prints one JSON line.
struct FloodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood",
        abstract: "Send valid-mac1 handshake initiations from many source addresses (a load test).",
        discussion: "Runs in the current network namespace; the source addresses must already be on the interface.")

    @Option(help: ArgumentHelp("The router's endpoint.", valueName: "ADDRESS:PORT"))
    var to: String
    @Option(name: .customLong("router-key"), help: ArgumentHelp("The router's public key (base64).", valueName: "KEY"))
    var routerKey: String
    @Option(help: ArgumentHelp("The interface the sources are on.", valueName: "IF"))
    var interface: String
    @Option(name: .customLong("first-source"), help: ArgumentHelp("The first source address (IPv4).", valueName: "ADDRESS"))
    var firstSource: String
    @Option(help: "How many consecutive source addresses.")
    var sources = 1000
    @Option(help: "Initiations per second, all sources together.")
    var rate = 20000
    @Option(help: "How long to send.")
    var seconds = 5.0

    func validate() throws {
        guard case .success(let endpoint) = Endpoint.parse(to), case .address = endpoint.host else {
            throw ValidationError("--to needs ADDRESS:PORT (\(to))")
        }
        guard Key32(base64: routerKey) != nil else { throw ValidationError("--router-key is not a base64 key (\(routerKey))") }
        guard let first = IPAddress(firstSource), !first.isIPv6 else { throw ValidationError("--first-source needs an IPv4 address (\(firstSource))") }
        guard sources > 0, sources <= 65536, rate > 0, seconds > 0, seconds.isFinite else {
            throw ValidationError("--sources, --rate and --seconds must be positive (\(sources), \(rate), \(seconds))")
        }
    }

    func run() throws {
        try reportingErrors(needsRoot: false) { () throws(LabError) in
            guard case .success(let endpoint) = Endpoint.parse(to), case .address(let address) = endpoint.host,
                  let key = Key32(base64: routerKey), let first = IPAddress(firstSource) else { return }
            let destination = SocketAddress(address: address, port: endpoint.port)
            var sockets: [UDPSocket] = []
            for n in 0..<sources {
                let source = SocketAddress(address: IPAddress(ipv4: first.ipv4Value &+ UInt32(n)), port: 0)
                do {
                    sockets.append(try UDPSocket(interfaceName: interface, address: source, bufferBytes: 1 << 16))
                } catch {
                    throw .file(operation: "binding a flood socket to", path: "\(source) on \(interface)", reason: "\(error)")
                }
            }
            // 256 different initiations, reused: random bodies never authenticate, so none is ever a repeat the
            // router could answer from its cache.
            var rng = SystemRandomNumberGenerator()
            let messages = (0..<256).map { _ in
                TunnelEngine.initiationShapedDatagram(routerPublicKey: key,
                                                      noise: (0..<112).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
            let start = MonotonicClock.now()
            let end = start + UInt64(seconds * 1e9)
            let spacing = UInt64(1e9) / UInt64(rate)
            var sent = 0, refused = 0
            var next = start
            while true {
                let now = MonotonicClock.now()
                if now >= end { break }
                if now < next {
                    ProcessControl.sleep(milliseconds: max(1, Int((next - now) / 1_000_000)))
                    continue
                }
                // Catch up in bursts of at most 64 after a sleep.
                var burst = 0
                while next <= now, burst < 64 {
                    let message = messages[sent % messages.count]
                    let outcome = message.withUnsafeBytes {
                        sockets[sent % sockets.count].send($0.baseAddress!, count: $0.count, to: destination)
                    }
                    if outcome != .sent { refused += 1 }
                    sent += 1
                    burst += 1
                    next += spacing
                }
            }
            let elapsed = Double(MonotonicClock.now() - start) / 1e9
            print("{\"sent\": \(sent), \"refused\": \(refused), \"sources\": \(sources), \"seconds\": \(elapsed)}")
        }
    }
}
