import MLinkTypes

/// A host on several routers (issue 16 item 3): it leases from its current router (`HostLeaseClient`) and asks
/// each other router, after every session with it and after every new address, to accept the same address
/// (an ADDRESS_REQUEST with the reboot flag, PROTOCOL.md §14.1 and §14.4). Sans-I/O: the caller sends.
///
/// A router that answers another address (it had not yet heard of the lease from its peer) or refuses is asked
/// again after 1 s, then 2, 4 ... up to 30 s; its answer never changes the host's address, which only the
/// current router decides.
public struct HostRouterLeases: Sendable {
    /// The first retry after a disagreeing answer (seconds), doubled up to `maximumRetrySeconds`.
    public static let firstRetrySeconds: UInt64 = 1
    public static let maximumRetrySeconds: UInt64 = 30

    /// Where one router stands.
    public enum State: String, Sendable {
        /// No session with it.
        case noSession = "no-session"
        /// Asked; no answer yet.
        case waiting
        /// It granted the host's address.
        case accepted
        /// It answered another address or refused; asked again later.
        case differs
    }

    struct Entry: Sendable {
        var state: State = .noSession
        var askAt: UInt64?
        var retry: UInt64 = HostRouterLeases.firstRetrySeconds
    }

    private var entries: [Int: Entry] = [:]

    /// The other routers (peer indexes, the current one excluded by the caller's `current`).
    public init(routers: [Int]) {
        for router in routers { entries[router] = Entry() }
    }

    /// The state of `router`, nil for one not tracked.
    public func state(of router: Int) -> State? { entries[router]?.state }

    /// Every tracked router and its state, by index.
    public var states: [(router: Int, state: State)] { entries.keys.sorted().map { ($0, entries[$0]!.state) } }

    /// A session with `router` is up: ask it at once (when the host has an address).
    public mutating func sessionEstablished(_ router: Int, now: UInt64) {
        guard entries[router] != nil else { return }
        entries[router] = Entry(state: .waiting, askAt: now, retry: Self.firstRetrySeconds)
    }

    /// The session with `router` is gone.
    public mutating func sessionLost(_ router: Int) {
        guard entries[router] != nil else { return }
        entries[router] = Entry()
    }

    /// The host's address changed (or was renewed at the current router): ask every router with a session again.
    public mutating func addressChanged(now: UInt64) {
        for (router, entry) in entries where entry.state != .noSession {
            entries[router] = Entry(state: .waiting, askAt: now, retry: Self.firstRetrySeconds)
        }
    }

    /// The routers to ask now (the caller sends each the reboot request for the host's address).
    public mutating func due(now: UInt64, haveAddress: Bool) -> [Int] {
        guard haveAddress else { return [] }
        var result: [Int] = []
        for router in entries.keys.sorted() {
            guard var entry = entries[router], let at = entry.askAt, at <= now else { continue }
            // Asked again after the longest retry if no answer comes (the ACK ends the request's own resends).
            entry.state = .waiting
            entry.askAt = now + Self.maximumRetrySeconds
            entries[router] = entry
            result.append(router)
        }
        return result
    }

    /// An ASSIGN from `router`: `granted` is the address it lists (nil for a refusal), `held` the host's own.
    public mutating func received(from router: Int, granted: IPAddress?, held: IPAddress?, now: UInt64) {
        guard var entry = entries[router] else { return }
        if let granted, granted == held {
            entry.state = .accepted
            entry.askAt = nil
            entry.retry = Self.firstRetrySeconds
        } else {
            entry.state = .differs
            entry.askAt = now + entry.retry
            entry.retry = min(entry.retry * 2, Self.maximumRetrySeconds)
        }
        entries[router] = entry
    }
}
