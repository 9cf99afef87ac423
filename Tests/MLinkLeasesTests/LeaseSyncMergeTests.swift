import MLinkLeases
import MLinkTypes
import XCTest

/// The merge, slices and provisional grants of PROTOCOL.md §14.4, with two in-memory routers.
final class LeaseSyncMergeTests: XCTestCase {
    let t0: UInt64 = 1_767_222_000
    let slice1 = net("10.77.0.64/27")
    let slice2 = net("10.77.0.96/27")

    private func router(_ name: String, slice: IPNetwork, prefix: String = "10.77.0.0/24",
                        reservations: [Key32: IPAddress] = [:], statics: [String] = []) -> LeaseTable {
        let pool = AddressPool(prefix: net(prefix), allocate: slice, routerAddresses: [ip("10.77.0.1"), ip("10.77.0.2")],
                               staticNetworks: statics.map(net), reservations: reservations)!
        return LeaseTable(pool: pool, leaseSeconds: 3600, allocator: name)
    }

    /// Two routers that know each other's slice.
    private func pair() -> (LeaseTable, LeaseTable) {
        var r1 = router("r1", slice: slice1), r2 = router("r2", slice: slice2)
        XCTAssertEqual(r1.noteSlice(slice2, of: "r2"), .disjoint)
        XCTAssertEqual(r2.noteSlice(slice1, of: "r1"), .disjoint)
        return (r1, r2)
    }

    /// Sends `from`'s changes to `to` (as router `name`); returns the merge results.
    @discardableResult
    private func sync(_ from: inout LeaseTable, to: inout LeaseTable, as name: String, now: UInt64) -> [LeaseTable.MergeResult] {
        from.takeChanges().map { to.merge($0, from: name, now: now) }
    }

    private func wire(_ record: Binding) -> Binding {
        var copy = record
        copy.allocator = ""
        return copy
    }

    func testRenewalsMergeAsMaxExpiresAndAReleaseIsNotUndone() {
        var (r1, r2) = pair()
        let host = someKey(1)
        let address = r1.request(key: host, holding: nil, now: t0).address!
        XCTAssertTrue(slice1.contains(address))
        let first = r1.binding(for: host)!
        sync(&r1, to: &r2, as: "r1", now: t0)
        XCTAssertEqual(r2.binding(for: host)?.address, address)
        XCTAssertEqual(r2.binding(for: host)?.allocator, "r1", "owned by the slice's router")
        // The host renews at r2 (any router renews any lease it knows): r1 takes the later expiry.
        let renewal = r2.request(key: host, holding: address, now: t0 + 1800)
        XCTAssertEqual(renewal.address, address)
        XCTAssertEqual(renewal.reason, .granted)
        sync(&r2, to: &r1, as: "r2", now: t0 + 1800)
        XCTAssertEqual(r1.binding(for: host)?.expires, t0 + 1800 + 3600)
        XCTAssertEqual(r1.binding(for: host)?.allocator, "r1")
        // The old record again (a late retransmission) changes nothing: idempotent.
        let late = r1.merge(wire(first), from: "r2", now: t0 + 1801)
        XCTAssertFalse(late.changed)
        XCTAssertEqual(r1.binding(for: host)?.expires, t0 + 5400)
        // A release at r1 moves expires back; r2 must not undo it with its later expiry.
        _ = r1.release(key: host, address: address, now: t0 + 2000)
        sync(&r1, to: &r2, as: "r1", now: t0 + 2000)
        XCTAssertEqual(r2.binding(for: host)?.state, .hold)
        XCTAssertEqual(r2.binding(for: host)?.expires, t0 + 2000)
    }

    func testMergeIsOrderIndependent() {
        var source = KeySource(state: 7)
        let keys = (0..<3).map { _ in source.key() }
        var records: [Binding] = []
        for index in 0..<24 {
            records.append(Binding(address: ip("10.77.0.70"), key: keys[index % 3], state: Binding.State.allCases[index % 3],
                                   expires: t0 + UInt64(index % 5), created: t0 - UInt64(index % 4), allocator: "",
                                   updated: (t0 + UInt64(index % 6)) * 1000, provisional: index % 7 == 0))
        }
        var results: Set<Binding> = []
        var generator = KeySource(state: 99)
        for _ in 0..<20 {
            var table = router("r2", slice: slice2)
            _ = table.noteSlice(slice1, of: "r1")
            var order = records
            for index in order.indices.reversed() {
                order.swapAt(index, Int(generator.next() % UInt64(index + 1)))
            }
            for record in order + order.prefix(5) { _ = table.merge(record, from: "r1", now: t0) }
            results.insert(table.binding(at: ip("10.77.0.70"))!)
        }
        XCTAssertEqual(results.count, 1, "the same winner whatever the order and repetition")
        XCTAssertFalse(results.first!.provisional)
    }

    func testOverlappingSlicesAreRefusedForNewLeases() {
        var wide = router("r1", slice: net("10.77.0.64/26"))
        guard case .overlaps(let own, let theirs, let blocked) = wide.noteSlice(slice2, of: "r2") else {
            return XCTFail("expected an overlap")
        }
        XCTAssertEqual([own, theirs, blocked], [net("10.77.0.64/26"), slice2, slice2])
        var source = KeySource(state: 5)
        var given: [IPAddress] = []
        while let address = wide.request(key: source.key(), holding: nil, now: t0).address { given.append(address) }
        XCTAssertEqual(given.count, 32, "only the part outside the overlap")
        XCTAssertTrue(given.allSatisfy { !slice2.contains($0) })
        // The narrow side blocks its whole slice.
        var narrow = router("r2", slice: slice2)
        _ = narrow.noteSlice(net("10.77.0.64/26"), of: "r1")
        XCTAssertNil(narrow.request(key: someKey(3), holding: nil, now: t0).address)
        XCTAssertEqual(narrow.request(key: someKey(3), holding: nil, now: t0).reason, .poolExhausted)
        // Fixed: the peer announces a disjoint slice again.
        XCTAssertEqual(narrow.noteSlice(slice1, of: "r1"), .disjoint)
        XCTAssertNotNil(narrow.request(key: someKey(3), holding: nil, now: t0).address)
        XCTAssertEqual(narrow.noteSlice(net("10.78.0.0/27"), of: "r3"), .outsidePool(net("10.78.0.0/27")))
    }

    func testProvisionalGrantOnlyForCandidateZeroAndConfirmedByTheOwner() {
        var (r1, r2) = pair()
        let host = someKey(11)
        let zero = LeaseTable.candidateZero(for: host, in: slice1)
        XCTAssertTrue(slice1.contains(zero))
        // Another address of r1's slice, not synced: r2 gives one of its own (changed).
        let other = zero == ip("10.77.0.70") ? ip("10.77.0.71") : ip("10.77.0.70")
        let refused = r2.request(key: host, holding: other, now: t0)
        XCTAssertEqual(refused.reason, .changed)
        XCTAssertTrue(slice2.contains(refused.address!))
        // Candidate 0: granted, provisional, and it moves the key's binding made a moment ago to hold.
        let granted = r2.request(key: host, holding: zero, now: t0 + 1)
        XCTAssertEqual(granted.address, zero)
        XCTAssertEqual(granted.reason, .granted)
        XCTAssertEqual(r2.binding(for: host)?.provisional, true)
        XCTAssertEqual(r2.binding(at: refused.address!)?.state, .hold)
        // The owner confirms it and sends it back; r2's copy is then confirmed too.
        let merged = sync(&r2, to: &r1, as: "r2", now: t0 + 2)
        XCTAssertTrue(merged.contains { $0.confirmed })
        XCTAssertEqual(r1.binding(for: host)?.provisional, false)
        XCTAssertEqual(r1.binding(for: host)?.allocator, "r1")
        sync(&r1, to: &r2, as: "r1", now: t0 + 3)
        XCTAssertEqual(r2.binding(for: host)?.provisional, false)
        XCTAssertEqual(r2.binding(for: host)?.address, zero)
    }

    func testAProvisionalGrantLosesAConflictEverywhere() {
        var (r1, r2) = pair()
        let owner = someKey(21)
        let taken = r1.request(key: owner, holding: nil, now: t0).address!
        // A second key whose candidate 0 in r1's slice is the same address.
        var source = KeySource(state: 40)
        var rival = source.key()
        while LeaseTable.candidateZero(for: rival, in: slice1) != taken { rival = source.key() }
        XCTAssertEqual(r2.request(key: rival, holding: taken, now: t0 + 1).address, taken, "not synced yet")
        let atR1 = sync(&r2, to: &r1, as: "r2", now: t0 + 2)
        XCTAssertEqual(atR1.first?.conflict, true)
        XCTAssertEqual(r1.binding(at: taken)?.key, owner, "the confirmed binding stays")
        let atR2 = sync(&r1, to: &r2, as: "r1", now: t0 + 2)
        XCTAssertEqual(atR2.first?.displaced?.key, rival, "r2 must re-address the rival")
        XCTAssertEqual(r2.binding(at: taken)?.key, owner)
        XCTAssertNil(r2.binding(for: rival))
        let readdressed = r2.request(key: rival, holding: nil, now: t0 + 3)
        XCTAssertTrue(slice2.contains(readdressed.address!))
    }

    func testReservationsAndStaticAddressesAreHonouredInMerges() {
        let reserved = someKey(31)
        var r2 = router("r2", slice: slice2, reservations: [reserved: ip("10.77.0.20")], statics: ["10.77.0.20/32", "10.77.0.30/32"])
        _ = r2.noteSlice(slice1, of: "r1")
        let stranger = someKey(32)
        for (address, key) in [("10.77.0.20", stranger), ("10.77.0.30", stranger), ("10.77.0.70", reserved),
                               ("10.77.0.255", stranger), ("10.78.0.5", stranger)] {
            let record = Binding(address: ip(address), key: key, state: .bound, expires: t0 + 10, created: t0, allocator: "")
            XCTAssertTrue(r2.merge(record, from: "r1", now: t0).refused, address)
        }
        let own = Binding(address: ip("10.77.0.20"), key: reserved, state: .bound, expires: t0 + 10, created: t0, allocator: "")
        XCTAssertFalse(r2.merge(own, from: "r1", now: t0).refused)
        XCTAssertTrue(r2.bindings.allSatisfy { $0.key == reserved })
    }

    func testARecordFromTheFarFutureIsRefused() {
        var (_, r2) = pair()
        let record = Binding(address: ip("10.77.0.70"), key: someKey(41), state: .bound, expires: t0 + 10, created: t0,
                             allocator: "", updated: UInt64.max)
        XCTAssertTrue(r2.merge(record, from: "r1", now: t0).refused)
        var ok = record
        ok.updated = t0 * 1000 + 3_600_000
        XCTAssertFalse(r2.merge(ok, from: "r1", now: t0).refused, "an hour ahead is a clock, not a forgery")
        // Own changes still win after it: the Lamport clock moves past the merged record.
        XCTAssertEqual(r2.request(key: someKey(41), holding: ip("10.77.0.70"), now: t0 + 1).address, ip("10.77.0.70"))
        XCTAssertGreaterThan(r2.binding(for: someKey(41))!.updated, ok.updated)
    }

    /// A router that lost its file gets a key's records back in address order, an old hold first: the bound one
    /// is the key's binding, and the host's reboot request for it is granted unchanged.
    func testRestoredTableMakesTheBoundRecordTheKeysBinding() {
        var (_, r2) = pair()
        let host = someKey(51)
        let old = Binding(address: ip("10.77.0.70"), key: host, state: .hold, expires: t0, created: t0, allocator: "")
        let live = Binding(address: ip("10.77.0.100"), key: host, state: .bound, expires: t0 + 3600, created: t0,
                           allocator: "", updated: t0 * 1000 + 5)
        _ = r2.merge(old, from: "r1", now: t0)
        _ = r2.merge(live, from: "r1", now: t0)
        XCTAssertEqual(r2.binding(for: host)?.address, ip("10.77.0.100"))
        XCTAssertEqual(r2.binding(for: host)?.allocator, "r2", "its own slice")
        let answer = r2.request(key: host, holding: ip("10.77.0.100"), now: t0 + 1)
        XCTAssertEqual(answer.address, ip("10.77.0.100"))
        XCTAssertEqual(answer.reason, .granted)
    }

    /// 10^4 random keys over two routers' slices: each host leases from one router and then asks the other for
    /// the same address, while the routers' changes cross in random order. No address is held by two keys, and
    /// both tables end identical with every host's address bound to it.
    func testTenThousandKeysOverTwoSlicesNoDuplicate() {
        let slices = [net("10.64.0.0/17"), net("10.64.128.0/17")]
        func make(_ name: String, _ slice: IPNetwork) -> LeaseTable {
            let pool = AddressPool(prefix: net("10.64.0.0/16"), allocate: slice, routerAddresses: [ip("10.64.0.1")])!
            return LeaseTable(pool: pool, leaseSeconds: 3600, allocator: name)
        }
        var tables = [make("r1", slices[0]), make("r2", slices[1])]
        _ = tables[0].noteSlice(slices[1], of: "r2")
        _ = tables[1].noteSlice(slices[0], of: "r1")
        let names = ["r1", "r2"]
        var inFlight: [[Binding]] = [[], []]  // records on their way to router 0 and router 1
        var source = KeySource(state: 2024)
        var hosts: [(key: Key32, current: Int, address: IPAddress)] = []
        var conflicts = 0
        let now = t0

        func deliver(_ target: Int, count: Int) {
            let batch = inFlight[target].prefix(count)
            inFlight[target].removeFirst(batch.count)
            for record in batch {
                let result = tables[target].merge(record, from: names[1 - target], now: now)
                if result.conflict { conflicts += 1 }
                if let lost = result.displaced, let index = hosts.firstIndex(where: { $0.key == lost.key }),
                   hosts[index].current == target, hosts[index].address == lost.address {
                    hosts[index].address = tables[target].request(key: lost.key, holding: nil, now: now).address!
                }
            }
        }
        func collect() {
            for index in 0..<2 { inFlight[1 - index] += tables[index].takeChanges().map(wire) }
        }

        for index in 0..<10_000 {
            let key = source.key()
            let current = index % 2
            let address = tables[current].request(key: key, holding: nil, now: now).address!
            hosts.append((key, current, address))
            collect()
            if source.next() % 2 == 0 { deliver(1 - current, count: Int(source.next() % 4)) }
            _ = tables[1 - current].request(key: key, holding: address, now: now)
            collect()
            if source.next() % 3 == 0 { deliver(current, count: Int(source.next() % 6)) }
        }
        // Quiesce, then let every host whose other router disagreed ask again (its retry).
        for _ in 0..<6 {
            while !inFlight[0].isEmpty || !inFlight[1].isEmpty {
                deliver(0, count: .max); deliver(1, count: .max); collect()
            }
            for host in hosts where tables[1 - host.current].binding(for: host.key)?.address != host.address {
                _ = tables[1 - host.current].request(key: host.key, holding: host.address, now: now)
            }
            collect()
        }
        XCTAssertEqual(Set(hosts.map(\.address)).count, hosts.count, "no address twice")
        for host in hosts {
            for table in tables {
                XCTAssertEqual(table.binding(for: host.key)?.address, host.address)
                XCTAssertEqual(table.binding(for: host.key)?.state, .bound)
            }
        }
        func comparable(_ table: LeaseTable) -> [String] {
            table.bindings.map { "\($0.address) \($0.key.base64) \($0.state) \($0.expires) \($0.provisional)" }
        }
        XCTAssertEqual(comparable(tables[0]), comparable(tables[1]))
        XCTAssertEqual(conflicts, 0, "slices disjoint and provisional grants only of candidate 0 of the same key")
    }
}

/// The per-peer sender and receiver state: a table in parts of at most 18 records, changes gathered, a
/// restart seen in `boot`.
final class LeaseSyncPeerTests: XCTestCase {
    func testTableInPartsThenChangesAndRestartDetection() {
        let pool = AddressPool(prefix: net("10.77.0.0/24"), allocate: net("10.77.0.64/26"), routerAddresses: [])!
        var table = LeaseTable(pool: pool, leaseSeconds: 3600, allocator: "r1")
        var source = KeySource(state: 8)
        for _ in 0..<40 { _ = table.request(key: source.key(), holding: nil, now: 1000) }
        _ = table.takeChanges()
        var sender = LeaseSyncPeer(name: "r2")
        XCTAssertTrue(sender.needsTable)
        sender.startTable(table.bindings.map(\.address))
        var receiver = LeaseSyncPeer(name: "r1")
        var seen: [IPAddress] = []
        var parts: [UInt16] = []
        while let message = sender.nextMessage(table: table, boot: 5, clock: 1000) {
            XCTAssertLessThanOrEqual(message.body.count, 1200)
            XCTAssertEqual(message.parts, 3)
            parts.append(message.part)
            seen += message.records.map(\.address)
            XCTAssertFalse(receiver.received(message, localClock: 998))
        }
        XCTAssertEqual(parts, [0, 1, 2])
        XCTAssertEqual(seen, table.bindings.map(\.address))
        XCTAssertTrue(receiver.tableReceived)
        XCTAssertEqual(receiver.clockOffset, 2)
        // Changes: gathered, each address once.
        let key = source.key()
        let address = table.request(key: key, holding: nil, now: 1001).address!
        _ = table.request(key: key, holding: nil, now: 1002)
        sender.noteChanges(table.takeChanges().map(\.address))
        let change = sender.nextMessage(table: table, boot: 5, clock: 1002)
        XCTAssertEqual(change?.isChange, true)
        XCTAssertEqual(change?.records.map(\.address), [address])
        XCTAssertNil(sender.nextMessage(table: table, boot: 5, clock: 1002))
        // The peer restarted: a new boot asks for the table again.
        XCTAssertTrue(receiver.received(LeaseSyncMessage(boot: 6, clock: 1003, slice: net("10.77.0.64/26"), part: 0,
                                                         parts: 1, records: []), localClock: 1003))
        XCTAssertTrue(receiver.tableReceived)
        // An empty table is one part.
        var empty = LeaseSyncPeer(name: "r3")
        empty.startTable([])
        XCTAssertEqual(empty.nextMessage(table: table, boot: 5, clock: 1)?.parts, 1)
        XCTAssertNil(empty.nextMessage(table: table, boot: 5, clock: 1))
    }
}
