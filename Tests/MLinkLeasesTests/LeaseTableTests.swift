import MLinkLeases
import MLinkTypes
import XCTest

/// The allocator and the binding states, with a fake clock (plain Unix seconds passed in).
final class LeaseTableTests: XCTestCase {
    let router = ip("10.77.0.1")
    let t0: UInt64 = 1_767_222_000

    private func pool(prefix: String = "10.77.0.0/24", allocate: String? = nil, exclude: [String] = [],
                      statics: [String] = [], reservations: [Key32: IPAddress] = [:]) -> AddressPool {
        AddressPool(prefix: net(prefix), allocate: allocate.map(net), exclude: exclude.map(net),
                    routerAddresses: [router], staticNetworks: statics.map(net), reservations: reservations)!
    }

    func testCandidateVector() {
        let key = Key32(bytes: Array(0..<32) as [UInt8])!
        // PROTOCOL.md §14.1 quotes this value; BLAKE2b-64 over "mlink pool" || 00..1f || 00000000.
        XCTAssertEqual(String(LeaseCandidates.hash(key: key, attempt: 0), radix: 16), "23a91718b25de897")
        XCTAssertNotEqual(LeaseCandidates.hash(key: key, attempt: 0), LeaseCandidates.hash(key: key, attempt: 1))
    }

    func testPoolNeverCountsNetworkBroadcastRouterExcludedOrStatic() {
        let p = pool(exclude: ["10.77.0.0/28"], statics: ["10.77.0.20/32", "10.77.0.200/30"])
        // 256 - network - broadcast - router (.1 is inside the exclude) - 16 excluded (incl. .0, .1) - 1 - 4
        XCTAssertEqual(p.assignableCount, 256 - 1 - 16 - 1 - 4)
        for address in ["10.77.0.0", "10.77.0.255", "10.77.0.1", "10.77.0.15", "10.77.0.20", "10.77.0.201"] {
            XCTAssertFalse(p.isAssignable(ip(address)), address)
        }
        XCTAssertTrue(p.isAssignable(ip("10.77.0.16")))
        XCTAssertNil(AddressPool(prefix: net("10.77.0.0/24"), allocate: net("10.78.0.0/26"), routerAddresses: []))
        XCTAssertNil(AddressPool(prefix: net("10.0.0.0/8"), routerAddresses: []), "larger than 2^20")
    }

    /// 10^5 random keys on a /14 pool: no address twice, none outside the rules, every key bound.
    func testNoDuplicateOverHundredThousandKeys() {
        let p = AddressPool(prefix: net("10.64.0.0/12"), allocate: net("10.64.0.0/14"), exclude: [net("10.64.0.0/24")],
                            routerAddresses: [ip("10.64.0.1")], staticNetworks: [net("10.65.0.0/24")])!
        var table = LeaseTable(pool: p, leaseSeconds: 3600, allocator: "r1")
        var source = KeySource(state: 1)
        var seen = Set<IPAddress>()
        for _ in 0..<100_000 {
            let decision = table.request(key: source.key(), holding: nil, now: t0)
            guard let address = decision.address else { return XCTFail("refused with \(p.assignableCount) addresses") }
            XCTAssertTrue(seen.insert(address).inserted, "\(address) given twice")
            XCTAssertTrue(p.isAssignable(address))
        }
        XCTAssertEqual(table.count(.bound), 100_000)
        XCTAssertEqual(table.freeCount, p.assignableCount - 100_000)
    }

    func testSameKeySameAddressAndDeterministicAfterLosingState() {
        var source = KeySource(state: 2)
        let keys = (0..<10).map { _ in source.key() }
        var first = LeaseTable(pool: pool(), leaseSeconds: 3600, allocator: "r1")
        let addresses = keys.map { first.request(key: $0, holding: nil, now: t0).address! }
        XCTAssertEqual(keys.map { first.request(key: $0, holding: nil, now: t0 + 10).address! }, addresses)
        // A router that lost its file: the same keys in another order still get their first candidates mostly.
        var fresh = LeaseTable(pool: pool(), leaseSeconds: 3600, allocator: "r1")
        let again = keys.reversed().map { fresh.request(key: $0, holding: nil, now: t0).address! }
        XCTAssertEqual(Array(again.reversed()), addresses)
    }

    func testRenewalIsCoalescedAndNewBindingImmediate() {
        var table = LeaseTable(pool: pool(), leaseSeconds: 3600, allocator: "r1")
        let key = someKey(9)
        let first = table.request(key: key, holding: nil, now: t0)
        XCTAssertEqual(first.persistence, .immediate)
        XCTAssertEqual(first.reason, .granted)
        let renewal = table.request(key: key, holding: first.address, now: t0 + 1800)
        XCTAssertEqual(renewal.persistence, .coalesced)
        XCTAssertEqual(table.binding(for: key)?.expires, t0 + 1800 + 3600)
    }

    func testInitRebootKeepsAFreeHeldAddress() {
        var table = LeaseTable(pool: pool(), leaseSeconds: 3600, allocator: "r1")
        let key = someKey(4)
        let decision = table.request(key: key, holding: ip("10.77.0.99"), now: t0)
        XCTAssertEqual(decision.address, ip("10.77.0.99"))
        XCTAssertEqual(decision.reason, .granted)
        // Held by someone else: the host gets another address, reason changed.
        let other = someKey(5)
        let moved = table.request(key: other, holding: ip("10.77.0.99"), now: t0)
        XCTAssertNotEqual(moved.address, ip("10.77.0.99"))
        XCTAssertEqual(moved.reason, .changed)
        // Not assignable (the router's own address): changed.
        let third = table.request(key: someKey(6), holding: router, now: t0)
        XCTAssertEqual(third.reason, .changed)
        XCTAssertNotEqual(third.address, router)
    }

    func testReservationsAreHonoured() {
        var source = KeySource(state: 7)
        let reserved = source.key()
        let p = pool(statics: ["10.77.0.20/32"], reservations: [reserved: ip("10.77.0.20")])
        var table = LeaseTable(pool: p, leaseSeconds: 3600, allocator: "r1")
        var others = Set<IPAddress>()
        for _ in 0..<200 { others.insert(table.request(key: source.key(), holding: nil, now: t0).address!) }
        XCTAssertFalse(others.contains(ip("10.77.0.20")))
        XCTAssertEqual(table.request(key: reserved, holding: ip("10.77.0.77"), now: t0).address, ip("10.77.0.20"))
        XCTAssertEqual(table.decline(key: reserved, address: ip("10.77.0.20"), now: t0).address, ip("10.77.0.20"))
    }

    func testExclusionsAndExhaustionWithAReason() {
        // 10.77.0.16/28 with .16-.19 excluded and .20 static: 11 addresses.
        let p = pool(allocate: "10.77.0.16/28", exclude: ["10.77.0.16/30"], statics: ["10.77.0.20/32"])
        XCTAssertEqual(p.assignableCount, 11)
        var table = LeaseTable(pool: p, leaseSeconds: 3600, allocator: "r1")
        var source = KeySource(state: 8)
        var given = Set<IPAddress>()
        for _ in 0..<11 { given.insert(table.request(key: source.key(), holding: nil, now: t0).address!) }
        XCTAssertEqual(given.count, 11)
        XCTAssertTrue(given.allSatisfy { p.isAssignable($0) })
        XCTAssertEqual(table.freeCount, 0)
        let refused = table.request(key: source.key(), holding: nil, now: t0)
        XCTAssertNil(refused.address)
        XCTAssertEqual(refused.reason, .poolExhausted)
        XCTAssertEqual(table.exhaustedRefusals, 1)
    }

    func testExpiryMovesToHoldAndHoldsAreReusedLeastRecentlyExpiredFirst() {
        let p = pool(allocate: "10.77.0.16/30")  // .16-.19: 4 addresses, none special
        var table = LeaseTable(pool: p, leaseSeconds: 100, allocator: "r1")
        var source = KeySource(state: 10)
        let keys = (0..<4).map { _ in source.key() }
        var addressOf: [Key32: IPAddress] = [:]
        for (index, key) in keys.enumerated() {
            addressOf[key] = table.request(key: key, holding: nil, now: t0 + UInt64(index) * 10).address!
        }
        let newcomer = source.key()
        XCTAssertNil(table.request(key: newcomer, holding: nil, now: t0 + 50).address, "all live: never reused")
        let (expired, persistence) = table.expire(now: t0 + 125)  // keys 0, 1 and 2 (expiring 100, 110, 120)
        XCTAssertEqual(Set(expired.map(\.key)), Set(keys[0..<3]))
        XCTAssertEqual(persistence, .immediate)
        XCTAssertEqual(table.count(.hold), 3)
        XCTAssertEqual(table.count(.bound), 1)
        // The newcomer takes key 0's address (expired first); key 1 comes back to its own.
        XCTAssertEqual(table.request(key: newcomer, holding: nil, now: t0 + 130).address, addressOf[keys[0]])
        XCTAssertEqual(table.request(key: keys[1], holding: nil, now: t0 + 130).address, addressOf[keys[1]])
        XCTAssertNil(table.binding(for: keys[0]))
        // Holds end after holdSeconds.
        table.holdSeconds = 1000
        _ = table.expire(now: t0 + 120 + 1000)
        XCTAssertNil(table.binding(for: keys[2]))
    }

    func testReleaseAndDecline() {
        var table = LeaseTable(pool: pool(allocate: "10.77.0.16/30"), leaseSeconds: 100, allocator: "r1")
        let key = someKey(11)
        let address = table.request(key: key, holding: nil, now: t0).address!
        let release = table.release(key: key, address: address, now: t0 + 5)
        XCTAssertEqual(release.reason, .released)
        XCTAssertEqual(release.persistence, .immediate)
        XCTAssertEqual(table.binding(for: key)?.state, .hold)
        XCTAssertEqual(table.release(key: key, address: address, now: t0 + 6).persistence, .none, "idempotent")
        XCTAssertEqual(table.request(key: key, holding: nil, now: t0 + 7).address, address, "hold kept for its key")
        let declined = table.decline(key: key, address: address, now: t0 + 8)
        XCTAssertEqual(declined.reason, .changed)
        XCTAssertNotEqual(declined.address, address)
        XCTAssertEqual(table.binding(at: address)?.state, .declined)
        XCTAssertEqual(table.freeCount, 2)
        _ = table.expire(now: t0 + 8 + 3600)
        XCTAssertNil(table.binding(at: address), "a decline ends after an hour")
    }

    func testLoadingExtendsBoundLeasesAndDropsWhatNoLongerFits() {
        var source = KeySource(state: 12)
        let stay = source.key(), gone = source.key(), nowStatic = source.key()
        let p = pool(statics: ["10.77.0.50/32"])
        let loaded = [
            Binding(address: ip("10.77.0.40"), key: stay, state: .bound, expires: t0 + 10, created: t0 - 100, allocator: "r1"),
            Binding(address: ip("10.77.0.41"), key: gone, state: .bound, expires: t0 + 10, created: t0 - 100, allocator: "r1"),
            Binding(address: ip("10.77.0.50"), key: nowStatic, state: .bound, expires: t0 + 10, created: t0, allocator: "r1"),
            Binding(address: ip("10.77.0.40"), key: gone, state: .bound, expires: t0 + 10, created: t0, allocator: "r1"),
        ]
        let table = LeaseTable(pool: p, leaseSeconds: 3600, allocator: "r1", loading: loaded,
                               leaseKeys: [stay, nowStatic], now: t0)
        XCTAssertEqual(table.binding(for: stay)?.expires, t0 + 3600, "max(expires, start + lease)")
        XCTAssertEqual(table.binding(for: gone)?.state, .hold, "no longer a peer")
        XCTAssertNil(table.binding(for: nowStatic), "a static address took it over")
        XCTAssertEqual(table.bindings.count, 2)
    }
}
