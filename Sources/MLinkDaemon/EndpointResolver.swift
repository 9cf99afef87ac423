import MLinkSystem
import MLinkTypes
import Synchronization

/// Resolves the router's endpoints off the event loop: `getaddrinfo` can block for seconds when DNS is down,
/// and the data path must never wait for it.
///
/// The loop calls `start` (at most one resolution runs at a time); the resolving thread stores its answer and
/// signals `wakeup`, whose descriptor the loop watches, and the loop then collects the answer with `take`. So
/// the loop touches the lock only when an answer is there, never per tick. Literal addresses need no thread:
/// `literalOnly` endpoints never start one.
final class EndpointResolver: @unchecked Sendable {
    /// One group of endpoints per peer we dial (a host's routers, a router's dialled router peers).
    let groups: [[Endpoint]]
    /// True when every endpoint is a literal address: resolving again cannot change anything.
    let literalOnly: Bool
    /// Readable when a resolution finished.
    let wakeup: EventDescriptor

    private struct State {
        var running = false
        var answer: (groups: [[SocketAddress]], problems: [String])?
    }
    private let state = Mutex(State())

    init(groups: [[Endpoint]]) throws {
        self.groups = groups
        literalOnly = groups.joined().allSatisfy { if case .address = $0.host { return true } else { return false } }
        wakeup = try EventDescriptor()
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
        let claimed = state.withLock { state -> Bool in
            guard !state.running else { return false }
            state.running = true
            return true
        }
        guard claimed else { return false }
        let groups = self.groups
        do {
            try DetachedThread.start { [self] in
                let answers = groups.map { EndpointResolver.resolve($0) }
                let answer = (groups: answers.map(\.addresses), problems: answers.flatMap(\.problems))
                state.withLock {
                    $0.answer = answer
                    $0.running = false
                }
                wakeup.signal()
            }
        } catch {
            state.withLock {
                $0.answer = ([], ["cannot start the resolver thread: \(error)"])
                $0.running = false
            }
            wakeup.signal()
            return false
        }
        return true
    }

    /// The addresses of the last finished resolution and its problems, once; nil when none finished since.
    /// Called when `wakeup` is readable; resets it.
    func take() -> (groups: [[SocketAddress]], problems: [String])? {
        _ = wakeup.drain()
        return state.withLock { state in
            defer { state.answer = nil }
            return state.answer
        }
    }
}
