import CMLinkShims
import Glibc

/// A TUN device (layer 3, no packet-information prefix): one packet per read or write.
///
/// The device is not persistent: it disappears, with its addresses and routes, when the last descriptor closes.
/// That is what makes a crashed core leave nothing behind on the interface itself.
public final class TunDevice {
    /// The descriptor; non-blocking.
    public let descriptor: FileDescriptor
    /// The interface name the kernel gave the device.
    public let name: String
    /// True when every read and write carries a 10-byte `virtio_net_hdr` in front of the packet (IFF_VNET_HDR).
    public let hasVirtioHeader: Bool
    /// The offloads the kernel accepted (`MLINK_TUN_F_*`): with TSO it hands over TCP super-packets of up to
    /// 64 KiB that the reader cuts into segments; with CSUM, checksums the reader completes. 0: none.
    public private(set) var offloads: UInt32 = 0

    /// Size of the header in front of every packet when `hasVirtioHeader`.
    public static let virtioHeaderSize = 10

    /// False when `MLINK_TUN_OFFLOAD=0`: plain packets, no virtio header (for tests and odd kernels).
    static let offloadAllowed: Bool = {
        guard let value = getenv("MLINK_TUN_OFFLOAD") else { return true }
        return String(cString: value) != "0"
    }()

    /// Creates (or attaches to) the TUN device `name`. The corresponding C calls are `open("/dev/net/tun")` and
    /// `ioctl(TUNSETIFF)`.
    public init(name: String) throws {
        var nameBuffer = [CChar](repeating: 0, count: 16)
        for (i, c) in name.utf8.prefix(15).enumerated() { nameBuffer[i] = CChar(bitPattern: c) }
        let fd = mlink_tun_open(&nameBuffer, TunDevice.offloadAllowed ? 1 : 0)
        guard fd >= 0 else { throw SystemError("open /dev/net/tun (TUNSETIFF)", name, errno: -fd) }
        descriptor = FileDescriptor(owning: fd)
        self.name = String(cString: nameBuffer)
        hasVirtioHeader = TunDevice.offloadAllowed
    }

    /// Adopts a TUN descriptor inherited from the parent (`mlink up` hands it to the core).
    public init(adopting fd: Int32, name: String) throws {
        descriptor = FileDescriptor(owning: fd)
        self.name = name
        try descriptor.setNonBlocking(true)
        try descriptor.setCloseOnExec(true)
        let flags = mlink_tun_flags(fd)
        hasVirtioHeader = flags > 0 && flags & mlink_tun_vnet_hdr_flag() != 0
    }

    /// False when `MLINK_TUN_USO=0`: TCP offloads only, no UDP segmentation offload (tests its fallback).
    static let udpOffloadAllowed: Bool = {
        guard let value = getenv("MLINK_TUN_USO") else { return true }
        return String(cString: value) != "0"
    }()

    /// Negotiates checksum and TCP segmentation offload (CSUM, TSO4, TSO6) and, where the kernel has it (Linux
    /// 6.2 and later), UDP segmentation offload (USO4 and USO6, which the kernel takes only together), falling
    /// back to TCP only and then to none when the kernel refuses; only with a virtio header. Returns the
    /// offloads in force. The corresponding C call is `ioctl(TUNSETOFFLOAD)`.
    @discardableResult
    public func negotiateOffloads() -> UInt32 {
        guard hasVirtioHeader else { return 0 }
        let tcp = UInt32(MLINK_TUN_F_CSUM | MLINK_TUN_F_TSO4 | MLINK_TUN_F_TSO6)
        let udp = UInt32(MLINK_TUN_F_USO4 | MLINK_TUN_F_USO6)
        for wanted in TunDevice.udpOffloadAllowed ? [tcp | udp, tcp, 0] : [tcp, 0]
        where mlink_tun_set_offload(descriptor.rawValue, wanted) == 0 {
            offloads = wanted
            break
        }
        return offloads
    }

    /// True when the kernel hands over, and takes, UDP super-packets (USO4 and USO6 negotiated).
    public var hasUDPOffload: Bool { offloads & UInt32(MLINK_TUN_F_USO4 | MLINK_TUN_F_USO6) != 0 }

    /// The names of offload flags, as `show` reports them.
    public static func offloadNames(_ flags: UInt32) -> [String] {
        [(UInt32(MLINK_TUN_F_CSUM), "csum"), (UInt32(MLINK_TUN_F_TSO4), "tso4"), (UInt32(MLINK_TUN_F_TSO6), "tso6"),
         (UInt32(MLINK_TUN_F_USO4), "uso4"), (UInt32(MLINK_TUN_F_USO6), "uso6")]
            .filter { flags & $0.0 != 0 }.map(\.1)
    }

    /// Reads one packet; nil when none is pending.
    @inline(__always)
    public func readPacket(into buffer: UnsafeMutableRawPointer, capacity: Int) throws -> Int? {
        try descriptor.read(into: buffer, count: capacity)
    }

    /// Writes one packet; returns false when the device queue is full (the packet is dropped, as a NIC would).
    @inline(__always)
    public func writePacket(_ buffer: UnsafeRawPointer, count: Int) throws -> Bool {
        try descriptor.write(buffer, count: count) != nil
    }

    /// Writes one packet gathered from the `count` buffers of `vectors` from `first` on (a super-packet: the
    /// virtio header and first segment, then the other segments' payloads); false when it was dropped (queue
    /// full, or refused; the caller counts it). The corresponding C function is `writev`.
    @inline(__always)
    public func writePacket(_ vectors: IOVectorArray, from first: Int, count: Int) -> Bool {
        let fd = descriptor.rawValue
        while true {
            let written = writev(fd, vectors.entries + first, Int32(count))
            if written >= 0 { return true }
            if errno != EINTR { return false }
        }
    }
}

/// A preallocated array of buffer descriptions (`struct iovec`) for gathered writes; one owner, reused.
public final class IOVectorArray {
    public let capacity: Int
    let entries: UnsafeMutablePointer<iovec>

    public init(capacity: Int) {
        self.capacity = capacity
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: iovec(iov_base: nil, iov_len: 0), count: capacity)
    }

    deinit { entries.deallocate() }

    /// Sets entry `index` to the `length` bytes at `base`.
    @inline(__always)
    public func set(_ index: Int, base: UnsafeMutableRawPointer, length: Int) {
        entries[index] = iovec(iov_base: base, iov_len: length)
    }

    /// The start and length of entry `index`.
    public func base(at index: Int) -> UnsafeMutableRawPointer? { entries[index].iov_base }
    public func length(at index: Int) -> Int { entries[index].iov_len }
}
