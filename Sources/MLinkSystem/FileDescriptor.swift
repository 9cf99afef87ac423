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
            Syscall.close(rawValue)
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
        let fd = rawValue
        let flags = try Syscall.run("fcntl F_GETFL") { fcntl(fd, F_GETFL) }
        let new = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        _ = try Syscall.run("fcntl F_SETFL") { fcntl(fd, F_SETFL, new) }
    }

    /// Sets or clears FD_CLOEXEC, so a descriptor can be handed to a spawned child on purpose.
    /// The corresponding C function is `fcntl(F_SETFD)`.
    public func setCloseOnExec(_ on: Bool) throws {
        let fd = rawValue
        let flags = try Syscall.run("fcntl F_GETFD") { fcntl(fd, F_GETFD) }
        let new = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
        _ = try Syscall.run("fcntl F_SETFD") { fcntl(fd, F_SETFD, new) }
    }

    /// Reads up to `buffer.count` bytes: how many (0 at end of file), or `.wouldBlock` on a non-blocking
    /// descriptor with nothing to read. The corresponding C function is `read`.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        let fd = rawValue
        return try Syscall.nonBlocking("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes up to `buffer.count` bytes: how many were taken, or `.wouldBlock` when a non-blocking descriptor's
    /// queue is full. The corresponding C function is `write`.
    @inline(__always)
    public func write(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        let fd = rawValue
        return try Syscall.nonBlocking("write") { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads up to `count` bytes into `buffer`. Returns bytes read, 0 at end of file, or nil when it would block.
    /// The corresponding C function is `read`.
    ///
    /// The optional-returning form of `read(into:)`, for callers written before `IOResult`.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int? {
        switch try read(into: UnsafeMutableRawBufferPointer(start: buffer, count: count)) {
        case .processed(let n): return n
        case .wouldBlock: return nil
        }
    }

    /// Writes `count` bytes; returns bytes written or nil when it would block. The corresponding C function is `write`.
    ///
    /// The optional-returning form of `write(_:)`, for callers written before `IOResult`.
    @inline(__always)
    public func write(_ buffer: UnsafeRawPointer, count: Int) throws -> Int? {
        switch try write(UnsafeRawBufferPointer(start: buffer, count: count)) {
        case .processed(let n): return n
        case .wouldBlock: return nil
        }
    }

    /// Writes all of `bytes`, blocking as needed (for small control messages, never the data path).
    public func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let outcome = try bytes.withUnsafeBytes { raw throws(SystemError) in
                try write(UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
            if case .processed(let written) = outcome { offset += written }
        }
    }

    /// Reads until end of file or `limit` bytes (for small control messages).
    public func readAll(limit: Int = 1 << 20) throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let outcome = try chunk.withUnsafeMutableBytes { raw throws(SystemError) in try read(into: raw) }
            guard case .processed(let got) = outcome else { continue }
            if got == 0 { break }
            out += chunk[0..<got]
        }
        return out
    }
}
