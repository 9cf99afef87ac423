import MLinkLeases
import MLinkTypes

/// The lease bodies (PROTOCOL.md §14.1) on arbitrary bytes. A datagram from the fuzzer never decrypts, so the
/// bodies are fed the input directly, as a daemon would after the AEAD. Invariant besides "no crash": every body
/// that parses encodes back to exactly the input (the layout has no slack, so nothing is silently ignored).
enum LeaseBodyFuzz {
    static func run(_ input: UnsafeRawBufferPointer) {
        if let request = AddressRequest(body: input, flags: 0) { check(request.body, input, "ADDRESS_REQUEST") }
        if let assign = AddressAssign(body: input) { check(assign.body, input, "ADDRESS_ASSIGN") }
        if let release = AddressRelease(body: input) { check(release.body, input, "ADDRESS_RELEASE") }
        if let decline = AddressDecline(body: input) { check(decline.body, input, "ADDRESS_DECLINE") }
        if let sync = LeaseSyncMessage(body: input) {
            check(sync.body, input, "LEASE_SYNC")
            mergeTwice(sync)
        }
    }

    /// A router's table that merges every parsed LEASE_SYNC (PROTOCOL.md §14.4): merging the same records again
    /// must change nothing (idempotent), and no address may end up bound to two keys.
    nonisolated(unsafe) static var table: LeaseTable = {
        let pool = AddressPool(prefix: IPNetwork("10.77.0.0/24")!, allocate: IPNetwork("10.77.0.64/27")!,
                               routerAddresses: [IPAddress("10.77.0.1")!])!
        return LeaseTable(pool: pool, leaseSeconds: 3600, allocator: "fuzz")
    }()

    private static func mergeTwice(_ message: LeaseSyncMessage) {
        _ = table.noteSlice(message.slice, of: "peer")
        for record in message.records { _ = table.merge(record, from: "peer", now: 1_767_225_600) }
        let before = table.bindings
        for record in message.records {
            precondition(!table.merge(record, from: "peer", now: 1_767_225_600).changed, "LEASE_SYNC merge not idempotent")
        }
        precondition(table.bindings == before, "a repeated LEASE_SYNC changed the table")
        if table.bindings.count > 4096 { _ = table.takeChanges(); table = LeaseTable(pool: table.pool, leaseSeconds: 3600, allocator: "fuzz") }
    }

    /// Seeds: PROTOCOL.md §14.4's change vector as a sealed control payload (kind 16, reliable).
    static var seeds: [[UInt8]] {
        let record = Binding(address: IPAddress("10.77.0.70")!, key: Key32(bytes: Array(0..<32) as [UInt8])!,
                             state: .bound, expires: 1_767_229_200, created: 1_767_225_600, allocator: "",
                             updated: 1_767_225_600_000)
        let body = LeaseSyncMessage(boot: 0x0102_0304, clock: 1_767_225_600, slice: IPNetwork("10.77.0.64/27")!,
                                    records: [record]).body
        return [[0xfe, 16, 0x80, UInt8(body.count), 0, 1, 0, 0, 0] + body]
    }

    private static func check(_ encoded: [UInt8], _ input: UnsafeRawBufferPointer, _ kind: String) {
        precondition(encoded.elementsEqual(input), "\(kind) parsed \(input.count) bytes but encodes \(encoded.count) others")
    }
}
