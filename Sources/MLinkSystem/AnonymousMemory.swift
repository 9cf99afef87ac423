import Glibc

/// A large private anonymous mapping whose pages cost memory only once touched: for buffer pools sized for
/// the worst case that usually use a few slots (the link emulator's frames in flight).
///
/// Reserved with `MAP_NORESERVE`, so a pool of hundreds of megabytes does not count against the overcommit
/// limit; unmapped when this object goes away.
public final class AnonymousMemory {
    /// The first byte; valid for `byteCount` bytes while this object lives.
    public let baseAddress: UnsafeMutableRawPointer
    /// The size of the mapping.
    public let byteCount: Int

    /// Maps `byteCount` bytes of zeroed memory. The corresponding C function is `mmap`.
    public init(byteCount: Int) throws {
        let mapped = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { throw SystemError("mmap", "\(byteCount) bytes", errno: errno) }
        baseAddress = mapped
        self.byteCount = byteCount
    }

    /// The corresponding C function is `munmap`.
    deinit { munmap(baseAddress, byteCount) }
}
