import Foundation
import MLinkSystem
import MLinkTypes

/// Resolves the router's endpoints off the event loop: `getaddrinfo` can block for seconds when DNS is down,
/// and the data path must never wait for it.
///
/// The loop calls `start` (at most one resolution runs at a time) and later collects the answer with `take`.
/// Literal addresses need no thread: `literalOnly` endpoints never start one.
final class EndpointResolver: @unchecked Sendable {
    let endpoints: [Endpoint]
    /// True when every endpoint is a literal address: resolving again cannot change anything.
    let literalOnly: Bool
    private let lock = NSLock()
    private var running = false
    private var answer: [SocketAddress]?
    private var problems: [String] = []

    init(endpoints: [Endpoint]) {
        self.endpoints = endpoints
        literalOnly = endpoints.allSatisfy { if case .address = $0.host { return true } else { return false } }
    }

    /// Resolves now, on the calling thread (at start, before the loop runs); failures are returned as text.
    static func resolve(_ endpoints: [Endpoint]) -> (addresses: [SocketAddress], problems: [String]) {
        var result: [SocketAddress] = []
        var problems: [String] = []
        for endpoint in endpoints {
            switch endpoint.host {
            case .address(let address):
                result.append(SocketAddress(address: address, port: endpoint.port))
            case .name(let name):
                do {
                    for address in try Resolver.resolve(name) { result.append(SocketAddress(address: address, port: endpoint.port)) }
                } catch {
                    problems.append("cannot resolve router endpoint \(endpoint): \(error)")
                }
            }
        }
        return (result, problems)
    }

    /// Starts a background resolution unless one is running or there are no names. Returns whether it started.
    @discardableResult
    func start() -> Bool {
        guard !literalOnly else { return false }
        lock.lock()
        defer { lock.unlock() }
        guard !running else { return false }
        running = true
        let endpoints = self.endpoints
        Thread.detachNewThread { [self] in
            let (addresses, problems) = EndpointResolver.resolve(endpoints)
            lock.lock()
            answer = addresses
            self.problems = problems
            running = false
            lock.unlock()
        }
        return true
    }

    /// The addresses of the last finished resolution and its problems, once; nil when none finished since.
    func take() -> (addresses: [SocketAddress], problems: [String])? {
        lock.lock()
        defer { lock.unlock() }
        guard let answer else { return nil }
        self.answer = nil
        return (answer, problems)
    }
}
