import CMLinkShims
import Glibc
import MLinkTypes

extension SocketAddress {
    /// Converts from a kernel socket address (AF_INET or AF_INET6); nil for other families.
    @inline(__always)
    public init?(storage: UnsafePointer<sockaddr_storage>) {
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let v = storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            self.init(address: IPAddress(ipv4: UInt32(bigEndian: v.sin_addr.s_addr)), port: UInt16(bigEndian: v.sin_port))
        case AF_INET6:
            let v = storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
            var a = v.sin6_addr
            let (h, l) = withUnsafeBytes(of: &a) { raw -> (UInt64, UInt64) in
                (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                 UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
            self.init(address: IPAddress(ipv6High: h, low: l), port: UInt16(bigEndian: v.sin6_port))
        default:
            return nil
        }
    }

    /// Writes this address into a kernel socket address; returns the length to pass to the call.
    @inline(__always)
    public func write(to storage: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        if address.isIPv6 {
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                p.pointee = sockaddr_in6()
                p.pointee.sin6_family = sa_family_t(AF_INET6)
                p.pointee.sin6_port = port.bigEndian
                withUnsafeMutableBytes(of: &p.pointee.sin6_addr) { raw in
                    raw.storeBytes(of: address.high.bigEndian, toByteOffset: 0, as: UInt64.self)
                    raw.storeBytes(of: address.low.bigEndian, toByteOffset: 8, as: UInt64.self)
                }
                return socklen_t(MemoryLayout<sockaddr_in6>.size)
            }
        }
        return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
            p.pointee = sockaddr_in()
            p.pointee.sin_family = sa_family_t(AF_INET)
            p.pointee.sin_port = port.bigEndian
            p.pointee.sin_addr.s_addr = address.ipv4Value.bigEndian
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        }
    }
}
