import MLinkTypes

/// What one router keeps about one router peer for lease replication (PROTOCOL.md §14.4), sans-I/O: the table
/// it still owes the peer, the changes not yet sent, what it heard from the peer, and the counters `show` prints.
public struct LeaseSyncPeer: Sendable {
    /// The peer's name in this router's profile.
    public let name: String
    /// True until a table has been started for the peer in this run (the first session sends it).
    public private(set) var needsTable = true
    /// The addresses of the table snapshot not yet sent, in order.
    private var tableQueue: [IPAddress] = []
    /// The part numbers of the table being sent.
    private var nextPart: UInt16 = 0
    private var tableParts: UInt16 = 0
    /// Changed addresses to send, as they will be when the message is built.
    private var pendingChanges: Set<IPAddress> = []

    /// The peer's `boot` (nil before its first message).
    public private(set) var peerBoot: UInt32?
    /// The peer's slice as it last announced it.
    public private(set) var slice: IPNetwork?
    /// The parts of the peer's table received in its current boot, and how many it has.
    private var receivedParts: Set<UInt16> = []
    public private(set) var peerTableParts: UInt16 = 0
    /// True once every part of the peer's table (of its current boot) has arrived.
    public private(set) var tableReceived = false
    /// The peer's clock minus this router's when its last message arrived, in seconds.
    public private(set) var clockOffset: Int64 = 0

    /// Messages sent and received, records merged (that changed the table), and refusals.
    public var messagesSent: UInt64 = 0
    public var messagesReceived: UInt64 = 0
    public var recordsMerged: UInt64 = 0
    public var recordsRefused: UInt64 = 0
    public var conflicts: UInt64 = 0
    public var malformed: UInt64 = 0

    public init(name: String) { self.name = name }

    /// True when a message is waiting to be built.
    public var hasWork: Bool { !tableQueue.isEmpty || nextPart < tableParts || !pendingChanges.isEmpty }

    /// Starts sending the whole table (`addresses`, sorted); a table already under way starts over.
    public mutating func startTable(_ addresses: [IPAddress]) {
        needsTable = false
        tableQueue = addresses
        nextPart = 0
        let perMessage = LeaseSyncMessage.recordsPerMessage(ipv6Slice: false)
        tableParts = UInt16(clamping: max(1, (addresses.count + perMessage - 1) / perMessage))
    }

    /// Queues changed records for the peer.
    public mutating func noteChanges<S: Sequence>(_ addresses: S) where S.Element == IPAddress {
        pendingChanges.formUnion(addresses)
    }

    /// The next message for the peer (a table part first, then changes), built from `table` as it is now; nil
    /// when nothing is due.
    public mutating func nextMessage(table: LeaseTable, boot: UInt32, clock: UInt64) -> LeaseSyncMessage? {
        let perMessage = LeaseSyncMessage.recordsPerMessage(ipv6Slice: false)
        if nextPart < tableParts {
            let take = min(perMessage, tableQueue.count)
            let records = tableQueue.prefix(take).compactMap { table.binding(at: $0) }
            tableQueue.removeFirst(take)
            defer { nextPart += 1 }
            messagesSent += 1
            return LeaseSyncMessage(boot: boot, clock: clock, slice: table.pool.allocate, part: nextPart,
                                    parts: tableParts, records: records)
        }
        guard !pendingChanges.isEmpty else { return nil }
        let chosen = pendingChanges.sorted().prefix(perMessage)
        pendingChanges.subtract(chosen)
        let records = chosen.compactMap { table.binding(at: $0) }
        guard !records.isEmpty else { return nextMessage(table: table, boot: boot, clock: clock) }
        messagesSent += 1
        return LeaseSyncMessage(boot: boot, clock: clock, slice: table.pool.allocate, records: records)
    }

    /// What a message from the peer tells: returns true when the peer restarted (a `boot` not seen before from
    /// it after an earlier one), so the caller sends it the whole table again.
    public mutating func received(_ message: LeaseSyncMessage, localClock: UInt64) -> Bool {
        messagesReceived += 1
        clockOffset = Int64(truncatingIfNeeded: message.clock &- localClock)
        slice = message.slice
        var restarted = false
        if peerBoot != message.boot {
            restarted = peerBoot != nil
            peerBoot = message.boot
            receivedParts.removeAll()
            peerTableParts = 0
            tableReceived = false
        }
        if !message.isChange {
            if message.parts != peerTableParts { receivedParts.removeAll(); peerTableParts = message.parts }
            receivedParts.insert(message.part)
            if receivedParts.count == Int(peerTableParts) { tableReceived = true }
        }
        return restarted
    }
}
