import Glibc

/// An exclusive advisory lock on a file, held from `init` until this object goes away, so that processes
/// that change the same state file one after another do not lose each other's updates.
public final class FileLock {
    private let descriptor: FileDescriptor

    /// Opens (creating it with `mode` if needed) `path` and blocks until the lock is ours.
    /// The corresponding C functions are `open` and `flock(LOCK_EX)`.
    public init(path: String, mode: UInt32 = 0o600) throws {
        let fd = retryingInterrupts { open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(mode)) }
        guard fd >= 0 else { throw SystemError("open", path, errno: -fd) }
        descriptor = FileDescriptor(owning: fd)
        let locked = retryingInterrupts { flock(fd, LOCK_EX) }
        guard locked == 0 else { throw SystemError("flock", path, errno: -locked) }
    }
}
