import CMLinkShims
import Glibc

/// Unix stream sockets for the control channel (`/run/mlink/NAME.sock`).
public enum UnixSocket {
    /// Listens at `path` (replacing a stale socket file), mode 0600, non-blocking.
    /// The corresponding C calls are `socket(AF_UNIX)`, `bind`, `listen`.
    public static func listen(path: String) throws -> FileDescriptor {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket AF_UNIX", path, errno: errno) }
        let owned = FileDescriptor(owning: fd)
        unlink(path)
        var address = try makeAddress(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw SystemError("bind", path, errno: errno) }
        chmod(path, 0o600)
        guard Glibc.listen(fd, 16) == 0 else { throw SystemError("listen", path, errno: errno) }
        return owned
    }

    /// Accepts one pending client (blocking mode for the short exchange), or nil when none is pending.
    public static func accept(_ listener: FileDescriptor) -> FileDescriptor? {
        let fd = Glibc.accept(listener.rawValue, nil, nil)
        guard fd >= 0 else { return nil }
        let owned = FileDescriptor(owning: fd)
        try? owned.setCloseOnExec(true)
        try? owned.setNonBlocking(false)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return owned
    }

    /// Connects to the control socket at `path`. The corresponding C function is `connect`.
    public static func connect(path: String) throws -> FileDescriptor {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket AF_UNIX", path, errno: errno) }
        let owned = FileDescriptor(owning: fd)
        var address = try makeAddress(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw SystemError("connect", path, errno: errno) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return owned
    }

    /// Half-closes the writing side so the peer sees end of file after the request.
    public static func shutdownWrite(_ fd: FileDescriptor) {
        _ = shutdown(fd.rawValue, Int32(SHUT_WR))
    }

    private static func makeAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemError("bind", path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return address
    }
}
