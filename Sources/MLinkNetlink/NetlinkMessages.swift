import CMnl
import MLinkTypes

/// Encoding and decoding of rtnetlink messages, with no socket in sight.
///
/// Every request `RouteNetlink` sends is built here from a value and a sequence number, and every reply is
/// decoded here from bytes, so tests compare both against messages recorded from `ip` and the kernel. Requests
/// are laid out exactly as iproute2 6.1 lays them out (same header values, same attribute order): a byte-for-byte
/// match with `ip` is the cheapest proof that the kernel reads them the same way.
enum NetlinkMessages {
    /// Room for one request: the largest (a route with every attribute) needs under 128 bytes.
    static let requestCapacity = 512

    /// The receive buffer size. Dump replies pack several messages per datagram up to about this much; a larger
    /// single message (a link with many VFs) fails with ENOSPC rather than being silently truncated.
    static let receiveCapacity = 32 * 1024

    /// `NLM_F_*` values as the header's 16-bit field wants them.
    static let request = UInt16(NLM_F_REQUEST)
    static let acknowledge = UInt16(NLM_F_ACK)
    static let dump = UInt16(NLM_F_DUMP)
    static let createExclusive = UInt16(NLM_F_CREATE | NLM_F_EXCL)

    /// IFF_LOWER_UP from linux/if.h, which glibc's net/if.h (already imported, and conflicting) lacks.
    static let lowerUpFlag: UInt32 = 0x10000

    /// Builds one message: header with `type`, `flags` and `sequence`, then whatever `fill` appends.
    static func build(type: Int, flags: UInt16, sequence: UInt32,
                      _ fill: (UnsafeMutablePointer<nlmsghdr>) -> Void) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: requestCapacity)
        let length = buffer.withUnsafeMutableBytes { raw -> Int in
            let header = mnl_nlmsg_put_header(raw.baseAddress)!
            header.pointee.nlmsg_type = UInt16(type)
            header.pointee.nlmsg_flags = flags
            header.pointee.nlmsg_seq = sequence
            fill(header)
            return Int(header.pointee.nlmsg_len)
        }
        buffer.removeSubrange(length...)
        return buffer
    }

    /// Appends the family header (ifinfomsg, rtmsg, ...) right after the netlink header.
    static func putFamilyHeader<Header>(_ value: Header, into message: UnsafeMutablePointer<nlmsghdr>) {
        mnl_nlmsg_put_extra_header(message, MemoryLayout<Header>.size)!.storeBytes(of: value, as: Header.self)
    }

    /// Appends an attribute holding `bytes` (an address, usually).
    static func putBytes(_ bytes: [UInt8], type: Int, into message: UnsafeMutablePointer<nlmsghdr>) {
        bytes.withUnsafeBytes { mnl_attr_put(message, UInt16(type), $0.count, $0.baseAddress) }
    }

    /// Appends a 32-bit attribute in host byte order, as rtnetlink expects for ids and metrics.
    static func putUInt32(_ value: UInt32, type: Int, into message: UnsafeMutablePointer<nlmsghdr>) {
        mnl_attr_put_u32(message, UInt16(type), value)
    }

    /// Calls `body` with the validated header of `bytes` when it holds one whole message whose payload has
    /// room for a `payloadSize`-byte family header; nil otherwise.
    static func withMessage<T>(_ bytes: [UInt8], payloadSize: Int,
                               _ body: (UnsafePointer<nlmsghdr>) -> T?) -> T? {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count >= MemoryLayout<nlmsghdr>.size else { return nil }
            let header = base.assumingMemoryBound(to: nlmsghdr.self)
            let length = Int(header.pointee.nlmsg_len)
            guard length <= raw.count, length >= MemoryLayout<nlmsghdr>.size + payloadSize else { return nil }
            return body(header)
        }
    }

    /// The family header that follows the netlink header; the caller has checked the length.
    static func familyHeader<Header>(of message: UnsafePointer<nlmsghdr>, as type: Header.Type) -> Header {
        UnsafeRawPointer(mnl_nlmsg_get_payload(message)!).loadUnaligned(as: Header.self)
    }

    /// The length of the leading run of whole messages in `datagram`; a message whose length field points past
    /// the end, and everything after it, is cut off.
    ///
    /// libmnl's own check (`mnl_nlmsg_ok`) compares the length as a signed int, so a length of 2^31 or more would
    /// pass it and send the callbacks reading past the buffer; every datagram goes through here first.
    static func wellFormedLength(of datagram: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        let headerSize = MemoryLayout<nlmsghdr>.size
        while datagram.count - offset >= headerSize {
            let length = Int(datagram.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            guard length >= headerSize, length <= datagram.count - offset else { break }
            offset += min((length + 3) & ~3, datagram.count - offset)
        }
        return offset
    }

    /// The message type of `bytes`, or nil when they are shorter than a header.
    static func messageType(_ bytes: [UInt8]) -> Int? {
        withMessage(bytes, payloadSize: 0) { Int($0.pointee.nlmsg_type) }
    }

    /// The address family byte (AF_INET or AF_INET6) for an address.
    static func family(of address: IPAddress) -> UInt8 {
        UInt8(address.isIPv6 ? AF_INET6 : AF_INET)
    }
}
