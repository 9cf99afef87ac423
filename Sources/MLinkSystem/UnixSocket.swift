import CMLinkShims
import Glibc

/// The listening side of the control channel (`/run/mlink/NAME.sock`): non-blocking, and so are its clients.
public final class UnixListener: StreamListener {
    public let descriptor: FileDescriptor
    /// The socket file's path.
    public let path: String

    /// Listens at `path` (replacing a stale socket file), mode 0600. The corresponding C calls are
    /// `socket(AF_UNIX)`, `bind`, `listen`.
    public init(path: String, backlog: Int32 = 32) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket AF_UNIX", path, errno: errno) }
        descriptor = FileDescriptor(owning: fd)
        self.path = path
        unlink(path)
        var address = try UnixSocket.makeAddress(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw SystemError("bind", path, errno: errno) }
        chmod(path, 0o600)
        guard listen(fd, backlog) == 0 else { throw SystemError("listen", path, errno: errno) }
    }

    /// Accepts one pending client as a non-blocking descriptor, or nil when none is pending (or it went away).
    /// The corresponding C functions are `accept` and `fcntl` (glibc hides `accept4` from Swift).
    public func accept() -> FileDescriptor? {
        acceptNonBlockingClient(of: descriptor)
    }
}

/// The client side of the control channel.
public enum UnixSocket {
    /// Connects to the control socket at `path`; reads time out after 5 s. The corresponding C function is
    /// `connect`.
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
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return owned
    }

    /// Sends `request` to the server at `path` and returns its whole answer (up to `limit` bytes).
    ///
    /// Throws `SystemError` with ETIMEDOUT when the server stays silent for 5 s, and with EMSGSIZE when the
    /// answer is longer than `limit`.
    public static func exchange(path: String, request: [UInt8], limit: Int = 64 << 20) throws -> [UInt8] {
        let socket = try connect(path: path)
        var offset = 0
        while offset < request.count {
            let n = try request.withUnsafeBytes { try socket.write($0.baseAddress! + offset, count: request.count - offset) }
            guard let n else { throw SystemError("write", path, errno: ETIMEDOUT) }
            offset += n
        }
        shutdownWrite(socket)
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try socket.read(into: $0.baseAddress!, count: $0.count) }
            guard let n else { throw SystemError("read", path, errno: ETIMEDOUT) }  // SO_RCVTIMEO ran out
            if n == 0 { return answer }
            guard answer.count + n <= limit else { throw SystemError("read", path, errno: EMSGSIZE) }
            answer += chunk[0..<n]
        }
    }

    /// Half-closes the writing side so the peer sees end of file after the request.
    public static func shutdownWrite(_ fd: FileDescriptor) {
        _ = shutdown(fd.rawValue, Int32(SHUT_WR))
    }

    static func makeAddress(_ path: String) throws -> sockaddr_un {
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
