import Glibc

/// A listening stream socket whose clients are accepted without blocking: the metrics endpoint's TCP listener
/// and the control socket's Unix listener.
public protocol StreamListener: AnyObject {
    /// The listening descriptor, for epoll.
    var descriptor: FileDescriptor { get }
    /// Accepts one pending client as a non-blocking, close-on-exec descriptor, or nil when none is pending.
    func accept() -> FileDescriptor?
}

extension TCPListener: StreamListener {}

/// Accepts one pending client of `listener` as a non-blocking, close-on-exec descriptor, or nil when none is
/// pending (or it went away). The corresponding C functions are `accept` and `fcntl` (glibc hides `accept4`
/// from Swift).
func acceptNonBlockingClient(of listener: FileDescriptor) -> FileDescriptor? {
    let raw = listener.rawValue
    guard case .processed(let fd)? = try? Syscall.retrying("accept", { Glibc.accept(raw, nil, nil) }) else { return nil }
    let client = FileDescriptor(owning: fd)
    do {
        try client.setCloseOnExec(true)
        try client.setNonBlocking(true)
    } catch {
        return nil
    }
    return client
}
