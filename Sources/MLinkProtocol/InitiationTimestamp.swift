import MLinkTypes

/// The initiator's clock in an initiation: seconds and nanoseconds since the Unix epoch, big-endian (TAI64N's
/// layout without its offset). The router accepts an initiation only when its timestamp is newer than the last
/// one it accepted from that peer, so a recorded initiation cannot be replayed, also not after the host restarts.
struct InitiationTimestamp: Comparable {
    var seconds: UInt64
    var nanoseconds: UInt32

    static let zero = InitiationTimestamp(seconds: 0, nanoseconds: 0)

    init(seconds: UInt64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    init(wallClockNanoseconds ns: UInt64) {
        self.init(seconds: ns / 1_000_000_000, nanoseconds: UInt32(ns % 1_000_000_000))
    }

    init(reading p: UnsafeRawPointer) {
        seconds = UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))
        nanoseconds = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    }

    func write(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: seconds.bigEndian, as: UInt64.self)
        p.storeBytes(of: nanoseconds.bigEndian, toByteOffset: 8, as: UInt32.self)
    }

    static func < (a: InitiationTimestamp, b: InitiationTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}
