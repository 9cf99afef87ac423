import CMLinkShims
import Glibc
import MLinkTypes

/// Name resolution for router endpoints given as DNS names.
public enum Resolver {
    /// Resolves `host` to its addresses (IPv4 first). The corresponding C function is `getaddrinfo`.
    public static func resolve(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        guard rc == 0 else {
            throw SystemError("getaddrinfo", host, rc == EAI_SYSTEM ? Errno.current : .noRouteToHost)
        }
        defer { freeaddrinfo(result) }
        var addresses: [IPAddress] = []
        var cursor = result
        while let entry = cursor {
            if let sa = entry.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { raw in
                    raw.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(entry.pointee.ai_addrlen)))
                }
                if let address = SocketAddress(storage: &storage)?.address, !addresses.contains(address) {
                    addresses.append(address)
                }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses.sorted { !$0.isIPv6 && $1.isIPv6 }
    }
}
