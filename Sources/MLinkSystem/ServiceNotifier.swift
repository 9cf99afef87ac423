import Glibc
import CMLinkShims

/// Tells systemd the service is ready (`Type=notify`), when started by it.
public enum ServiceNotifier {
    /// Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET; does nothing outside systemd.
    /// The corresponding C call is `sendto` on an AF_UNIX datagram socket, as sd_notify does.
    public static func notify(_ state: String) {
        guard let path = Files.environment("NOTIFY_SOCKET"), !path.isEmpty else { return }
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let opened = try? Syscall.run("socket") { socket(AF_UNIX, type, 0) }
        guard let fd = opened else { return }
        let owned = FileDescriptor(owning: fd)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        _ = try? Syscall.retrying("sendto") {
            withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    message.withUnsafeBytes { sendto(owned.rawValue, $0.baseAddress, message.count, 0, sa, length) }
                }
            }
        }
    }
}
