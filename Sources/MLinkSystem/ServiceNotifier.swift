import Glibc

/// Tells systemd the service is ready (`Type=notify`), when started by it.
public enum ServiceNotifier {
    /// Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET; does nothing outside systemd.
    /// The corresponding C call is `sendto` on an AF_UNIX datagram socket, as sd_notify does.
    public static func notify(_ state: String) {
        guard let path = Files.environment("NOTIFY_SOCKET"), !path.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, message.count, 0, sa, length) }
            }
        }
    }
}
