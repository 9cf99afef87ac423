import MLinkTypes

/// Control message kinds (PROTOCOL.md section 14): the one registry of their numbers.
public enum ControlKind {
    public static let addressRequest: UInt8 = 1
    public static let addressAssign: UInt8 = 2
    public static let addressRelease: UInt8 = 3
    public static let addressDecline: UInt8 = 4
    public static let routeAnnounce: UInt8 = 5
    public static let routeStatus: UInt8 = 6
    public static let routeTable: UInt8 = 7
    public static let preferred: UInt8 = 8
    /// The sender ends its sessions in an orderly way (PROTOCOL.md section 14, CLOSE).
    public static let close: UInt8 = 9
    public static let leaseSync: UInt8 = 16
    /// Link policy and receiver feedback use 32...47.
    public static let linkPolicy: ClosedRange<UInt8> = 32...47
    public static let ack: UInt8 = 127
}

/// How a control message is delivered (PROTOCOL.md section 14, "Reliability").
public enum ControlReliability: Sendable {
    /// Sent once.
    case unreliable
    /// Retransmitted until acknowledged.
    case reliable
    /// Reliable, and a newer message of the same kind replaces the pending older one.
    case fullState
}

/// Why `sendControl` refused a message.
public enum ControlSendError: Error, Equatable {
    /// The body is longer than `ControlHeader.maximumBody`.
    case bodyTooLong(Int)
    /// The peer already has `ControlChannel.maximumPending` unacknowledged messages.
    case tooManyPending
    /// The kind is ACK (the engine sends those itself) or outside 1...126.
    case reservedKind(UInt8)
}

/// The 8-byte header in front of every control body.
public struct ControlHeader: Equatable {
    public static let size = 8
    public static let maximumBody = 1200
    /// Flag bit 7: the sender wants an ACK.
    public static let ackRequested: UInt8 = 0x80

    public var kind: UInt8
    /// All eight flag bits as sent (bit 7 is the framework's).
    public var flags: UInt8
    public var bodyLength: Int
    public var seq: UInt32

    public init(kind: UInt8, flags: UInt8, bodyLength: Int, seq: UInt32) {
        self.kind = kind
        self.flags = flags
        self.bodyLength = bodyLength
        self.seq = seq
    }

    /// Reads the header of a control payload of `length` bytes; nil when malformed (too short, a body length
    /// that is not the rest of the payload, a body over 1200 bytes).
    public static func read(from payload: UnsafeRawPointer, length: Int) -> ControlHeader? {
        guard length >= size else { return nil }
        let bodyLength = Int(LE.u16(payload, 2))
        guard bodyLength == length - size, bodyLength <= maximumBody else { return nil }
        return ControlHeader(kind: payload.load(as: UInt8.self), flags: payload.load(fromByteOffset: 1, as: UInt8.self),
                             bodyLength: bodyLength, seq: LE.u32(payload, 4))
    }

    public func write(to payload: UnsafeMutableRawPointer) {
        payload.storeBytes(of: kind, as: UInt8.self)
        payload.storeBytes(of: flags, toByteOffset: 1, as: UInt8.self)
        LE.put(payload, 2, UInt16(bodyLength))
        LE.put(payload, 4, seq)
    }
}

/// One peer's control messages waiting to leave or to be acknowledged, and the ACKs it owes.
///
/// Slots are allocated on the first message and reused: a steady exchange (feedback, renewals) allocates nothing.
final class ControlChannel {
    static let maximumPending = 16
    static let maximumAcksPerMessage = 64
    static let firstRetransmit: UInt64 = 100_000_000
    static let maximumRetransmit: UInt64 = 2_000_000_000

    struct Slot {
        var inUse = false
        var kind: UInt8 = 0
        var flags: UInt8 = 0
        var seq: UInt32 = 0
        var reliability = ControlReliability.unreliable
        /// Header and body, as they go into the payload.
        var bytes: [UInt8] = []
        var length = 0
        /// When it is next due (0: at once).
        var due: UInt64 = 0
        var interval: UInt64 = ControlChannel.firstRetransmit
        var transmissions = 0
    }

    private(set) var slots: [Slot] = []
    private var nextSeq: UInt32 = 1

    /// A seq for a message sent outside the queue (an unreliable one sealed straight onto chosen paths, such as
    /// PATH_SILENT, which must avoid the path it reports).
    func takeSeq() -> UInt32 {
        defer { nextSeq &+= 1 }
        return nextSeq
    }
    /// Seqs to acknowledge in the next ACK.
    private(set) var owedAcks: [UInt32] = []

    /// True when something may be due: the engine skips idle peers cheaply.
    var isIdle: Bool { owedAcks.isEmpty && !slots.contains { $0.inUse } }

    /// Queues a message; returns its seq.
    func queue(kind: UInt8, flags: UInt8, body: UnsafeRawBufferPointer, reliability: ControlReliability) throws -> UInt32 {
        guard kind != 0, kind < 127 else { throw ControlSendError.reservedKind(kind) }
        guard body.count <= ControlHeader.maximumBody else { throw ControlSendError.bodyTooLong(body.count) }
        var index: Int? = nil
        if reliability == .fullState {
            index = slots.firstIndex { $0.inUse && $0.kind == kind && $0.reliability == .fullState }
        }
        if index == nil { index = slots.firstIndex { !$0.inUse } }
        if index == nil {
            guard slots.count < ControlChannel.maximumPending else { throw ControlSendError.tooManyPending }
            slots.append(Slot())
            index = slots.count - 1
        }
        let seq = nextSeq
        nextSeq &+= 1
        if nextSeq == 0 { nextSeq = 1 }
        let i = index!
        let wireFlags = (flags & 0x7f) | (reliability == .unreliable ? 0 : ControlHeader.ackRequested)
        let length = ControlHeader.size + body.count
        if slots[i].bytes.count < length { slots[i].bytes = [UInt8](repeating: 0, count: ControlHeader.size + ControlHeader.maximumBody) }
        slots[i].bytes.withUnsafeMutableBytes { buffer in
            ControlHeader(kind: kind, flags: wireFlags, bodyLength: body.count, seq: seq).write(to: buffer.baseAddress!)
            if let base = body.baseAddress, body.count > 0 {
                (buffer.baseAddress! + ControlHeader.size).copyMemory(from: base, byteCount: body.count)
            }
        }
        slots[i].inUse = true
        slots[i].kind = kind
        slots[i].flags = wireFlags
        slots[i].seq = seq
        slots[i].reliability = reliability
        slots[i].length = length
        slots[i].due = 0
        slots[i].interval = ControlChannel.firstRetransmit
        slots[i].transmissions = 0
        return seq
    }

    /// An ACK for `seq` arrived: the message is done.
    func acknowledge(_ seq: UInt32) {
        for i in slots.indices where slots[i].inUse && slots[i].reliability != .unreliable && slots[i].seq == seq {
            slots[i].inUse = false
        }
    }

    /// We received a message asking for an ACK.
    func owe(_ seq: UInt32) {
        if owedAcks.contains(seq) { return }
        if owedAcks.count >= ControlChannel.maximumAcksPerMessage { owedAcks.removeFirst() }
        owedAcks.append(seq)
    }

    /// Writes the owed ACK's payload into `payload` (room for 8 + 4 x 64 bytes); returns its length, 0 if none.
    func writeAck(into payload: UnsafeMutableRawPointer) -> Int {
        guard !owedAcks.isEmpty else { return 0 }
        let seq = nextSeq
        nextSeq &+= 1
        if nextSeq == 0 { nextSeq = 1 }
        ControlHeader(kind: ControlKind.ack, flags: 0, bodyLength: 4 * owedAcks.count, seq: seq).write(to: payload)
        for (i, acked) in owedAcks.enumerated() { LE.put(payload, ControlHeader.size + 4 * i, acked) }
        let length = ControlHeader.size + 4 * owedAcks.count
        owedAcks.removeAll(keepingCapacity: true)
        return length
    }

    /// The index of a message due at `now`, if any.
    func due(at now: UInt64) -> Int? {
        slots.firstIndex { $0.inUse && $0.due <= now }
    }

    /// Message `i` went out at `now`: an unreliable one is done, a reliable one waits for its next retransmission.
    func sent(_ i: Int, now: UInt64) {
        slots[i].transmissions += 1
        if slots[i].reliability == .unreliable {
            slots[i].inUse = false
            return
        }
        slots[i].due = now + slots[i].interval
        slots[i].interval = min(slots[i].interval * 2, ControlChannel.maximumRetransmit)
    }

    /// Forgets everything (the peer's sessions are gone for good).
    func reset() {
        for i in slots.indices { slots[i].inUse = false }
        owedAcks.removeAll(keepingCapacity: true)
    }
}
