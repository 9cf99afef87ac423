import Glibc

/// An owned file descriptor: closed exactly once, when the owner lets go of it.
///
/// Every descriptor mlink opens lives in one of these (or in a type holding one), so an early return or a thrown
/// error can never leak it.
public final class FileDescriptor {
    /// The raw descriptor number; -1 after `close()` or `release()`.
    public private(set) var rawValue: Int32

    /// Takes ownership of `rawValue`.
    public init(owning rawValue: Int32) {
        self.rawValue = rawValue
    }

    deinit { close() }

    /// Closes the descriptor now (idempotent). The corresponding C function is `close`.
    public func close() {
        if rawValue >= 0 {
            _ = Glibc.close(rawValue)
            rawValue = -1
        }
    }

    /// Gives up ownership: the caller becomes responsible for the number.
    public func release() -> Int32 {
        let fd = rawValue
        rawValue = -1
        return fd
    }

    /// Sets or clears O_NONBLOCK. The corresponding C function is `fcntl(F_SETFL)`.
    public func setNonBlocking(_ on: Bool) throws {
        let flags = fcntl(rawValue, F_GETFL)
        guard flags >= 0 else { throw SystemError("fcntl", errno: errno) }
        let new = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        guard fcntl(rawValue, F_SETFL, new) >= 0 else { throw SystemError("fcntl", errno: errno) }
    }

    /// Sets or clears FD_CLOEXEC, so a descriptor can be handed to a spawned child on purpose.
    public func setCloseOnExec(_ on: Bool) throws {
        let flags = fcntl(rawValue, F_GETFD)
        guard flags >= 0 else { throw SystemError("fcntl", errno: errno) }
        let new = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
        guard fcntl(rawValue, F_SETFD, new) >= 0 else { throw SystemError("fcntl", errno: errno) }
    }

    /// Reads up to `count` bytes into `buffer`. Returns bytes read, 0 at end of file, or nil when it would block.
    /// The corresponding C function is `read`.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int? {
        let n = retryingInterrupts { Glibc.read(rawValue, buffer, count) }
        if n >= 0 { return n }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return nil }
        throw SystemError("read", errno: e)
    }

    /// Writes `count` bytes; returns bytes written or nil when it would block. The corresponding C function is `write`.
    @inline(__always)
    public func write(_ buffer: UnsafeRawPointer, count: Int) throws -> Int? {
        let n = retryingInterrupts { Glibc.write(rawValue, buffer, count) }
        if n >= 0 { return n }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return nil }
        throw SystemError("write", errno: e)
    }

    /// Writes all of `bytes`, blocking as needed (for small control messages, never the data path).
    public func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = try bytes.withUnsafeBytes { raw in
                try write(raw.baseAddress! + offset, count: bytes.count - offset)
            }
            guard let written = n else { continue }
            offset += written
        }
    }

    /// Reads until end of file or `limit` bytes (for small control messages).
    public func readAll(limit: Int = 1 << 20) throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: $0.count) }
            guard let got = n else { continue }
            if got == 0 { break }
            out += chunk[0..<got]
        }
        return out
    }
}
