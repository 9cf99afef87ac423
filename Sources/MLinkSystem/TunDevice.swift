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

    /// Creates (or attaches to) the TUN device `name`. The corresponding C calls are `open("/dev/net/tun")` and
    /// `ioctl(TUNSETIFF)`.
    public init(name: String) throws {
        var nameBuffer = [CChar](repeating: 0, count: 16)
        for (i, c) in name.utf8.prefix(15).enumerated() { nameBuffer[i] = CChar(bitPattern: c) }
        let fd = mlink_tun_open(&nameBuffer, 0)
        guard fd >= 0 else { throw SystemError("open /dev/net/tun (TUNSETIFF)", name, errno: -fd) }
        descriptor = FileDescriptor(owning: fd)
        self.name = String(cString: nameBuffer)
    }

    /// Adopts a TUN descriptor inherited from the parent (`mlink up` hands it to the core).
    public init(adopting fd: Int32, name: String) throws {
        descriptor = FileDescriptor(owning: fd)
        self.name = name
        try descriptor.setNonBlocking(true)
        try descriptor.setCloseOnExec(true)
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
}
