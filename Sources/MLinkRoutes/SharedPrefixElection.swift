import MLinkTypes

/// Which host is primary for each announced prefix when several announce it (high availability).
///
/// The rules (docs/ROUTING.md): with no primary, the best candidate takes it at once: the lowest preference, then
/// the lowest rank (a stable order, the peers' public keys). When the primary goes (its bundle is down or it
/// withdraws), the best standby is promoted at once: that is the failover. A candidate takes over from a live
/// primary only when its preference is strictly better and it has been a candidate for `holdDown` without a break;
/// equal preferences never preempt, so a returning host does not flap the route back. Pure and driven by `now`
/// (nanoseconds, any monotonic origin), so tests use a fake clock.
public struct SharedPrefixElection: Sendable {
    /// One host announcing a prefix.
    public struct Candidate: Sendable, Equatable {
        public var peer: Int
        public var preference: UInt8
        /// When it became a candidate (kept across re-announcements, reset when it leaves).
        public var since: UInt64
    }

    /// The state of one prefix.
    public struct Entry: Sendable, Equatable {
        public var prefix: IPNetwork
        public var primary: Int?
        public var candidates: [Candidate]
        /// How often the primary changed from one host to another.
        public var failovers: UInt64 = 0
    }

    /// How long a strictly better candidate waits before it preempts a live primary.
    public var holdDown: UInt64
    /// Tie-break order of the peers: lower wins (index = peer).
    let ranks: [Int]
    public private(set) var entries: [IPNetwork: Entry] = [:]
    /// Primary changes over all prefixes.
    public private(set) var failovers: UInt64 = 0

    public init(ranks: [Int], holdDown: UInt64 = 30_000_000_000) {
        self.ranks = ranks; self.holdDown = holdDown
    }

    /// Replaces the accepted announcements of `peer`; returns the prefixes whose primary changed.
    @discardableResult
    public mutating func setAnnouncements(_ items: [(prefix: IPNetwork, preference: UInt8)], of peer: Int,
                                          now: UInt64) -> Set<IPNetwork> {
        var touched = Set<IPNetwork>()
        let wanted = Dictionary(items.map { ($0.prefix, $0.preference) }, uniquingKeysWith: { first, _ in first })
        for (prefix, var entry) in entries where wanted[prefix] == nil {
            guard let index = entry.candidates.firstIndex(where: { $0.peer == peer }) else { continue }
            entry.candidates.remove(at: index)
            entries[prefix] = entry
            touched.insert(prefix)
        }
        for (prefix, preference) in wanted {
            var entry = entries[prefix] ?? Entry(prefix: prefix, primary: nil, candidates: [])
            if let index = entry.candidates.firstIndex(where: { $0.peer == peer }) {
                entry.candidates[index].preference = preference
            } else {
                entry.candidates.append(Candidate(peer: peer, preference: preference, since: now))
            }
            entries[prefix] = entry
            touched.insert(prefix)
        }
        return elect(touched, now: now)
    }

    /// `peer` is gone (bundle down, session over): every prefix it announced fails over.
    @discardableResult
    public mutating func removePeer(_ peer: Int, now: UInt64) -> Set<IPNetwork> {
        setAnnouncements([], of: peer, now: now)
    }

    /// Applies preemptions whose hold-down has passed; returns the prefixes whose primary changed.
    @discardableResult
    public mutating func tick(now: UInt64) -> Set<IPNetwork> { elect(Set(entries.keys), now: now) }

    /// The primary host for `prefix`, if any.
    public func primary(for prefix: IPNetwork) -> Int? { entries[prefix]?.primary }

    /// `active` when `peer` is primary for `prefix`, `standby` when it is a candidate only.
    public func verdict(for prefix: IPNetwork, peer: Int) -> RouteVerdict {
        entries[prefix]?.primary == peer ? .active : .standby
    }

    /// Every prefix with its primary and its preference, sorted by prefix.
    public var activeRoutes: [(prefix: IPNetwork, peer: Int, preference: UInt8)] {
        entries.values.compactMap { entry in
            guard let primary = entry.primary, let candidate = entry.candidates.first(where: { $0.peer == primary })
            else { return nil }
            return (entry.prefix, primary, candidate.preference)
        }.sorted { PrefixOrder.less($0.prefix, $1.prefix) }
    }

    /// The candidates of `prefix`, best first (the primary is not necessarily first during a hold-down).
    public func candidates(for prefix: IPNetwork) -> [Candidate] {
        (entries[prefix]?.candidates ?? []).sorted(by: better)
    }

    private func rank(_ peer: Int) -> Int { peer < ranks.count ? ranks[peer] : Int.max }

    private func better(_ a: Candidate, _ b: Candidate) -> Bool {
        a.preference != b.preference ? a.preference < b.preference : rank(a.peer) < rank(b.peer)
    }

    private mutating func elect(_ prefixes: Set<IPNetwork>, now: UInt64) -> Set<IPNetwork> {
        var changed = Set<IPNetwork>()
        for prefix in prefixes {
            guard var entry = entries[prefix] else { continue }
            if entry.candidates.isEmpty {
                entries[prefix] = nil
                if entry.primary != nil { changed.insert(prefix) }
                continue
            }
            let ordered = entry.candidates.sorted(by: better)
            var next = entry.primary
            if let current = entry.candidates.first(where: { $0.peer == entry.primary }) {
                // A live primary yields only to a strictly better candidate that has been there for the hold-down.
                if let challenger = ordered.first(where: {
                    $0.preference < current.preference && now &- $0.since >= holdDown
                }) { next = challenger.peer }
            } else {
                next = ordered[0].peer
            }
            if next != entry.primary {
                if entry.primary != nil { entry.failovers += 1; failovers += 1 }
                entry.primary = next
                changed.insert(prefix)
            }
            entries[prefix] = entry
        }
        return changed
    }
}

/// The one order of prefixes on the wire and in `show`: family, address, then length.
public enum PrefixOrder {
    public static func less(_ a: IPNetwork, _ b: IPNetwork) -> Bool {
        if a.address != b.address { return a.address < b.address }
        return a.prefixLength < b.prefixLength
    }
}
