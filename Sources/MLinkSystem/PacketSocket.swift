import CMLinkShims
import Glibc

/// An AF_PACKET socket bound to one interface: whole Ethernet frames in and out, each behind a virtio-net
/// header, for the lab's link emulator (never the daemon).
///
/// Opened non-blocking and close-on-exec with `PACKET_VNET_HDR` (checksum-offloaded frames keep their offload
/// state across the relay), `PACKET_IGNORE_OUTGOING` (what we send never comes back to us) and
/// `PACKET_QDISC_BYPASS`. Reads are batched with `recvmmsg` into buffers the caller owns; the kernel headers
/// and the per-frame lengths are allocated once here, so the receive path does not allocate.
public final class PacketSocket {
    /// Bytes of virtio-net header in front of every frame read or written.
    public static let virtioHeaderLength = Int(MLINK_PACKET_VNET_HDR_LEN)

    /// The socket; closed when this object goes away.
    public let descriptor: FileDescriptor
    /// The interface it is bound to, for messages.
    public let interfaceName: String
    /// How many frames one `receive` can return.
    public let batchCapacity: Int
    /// Frame lengths (virtio-net header included) after `receive`; a length above the buffer size means the
    /// frame was truncated and should be dropped.
    public let lengths: UnsafeMutablePointer<Int>
    private let sources: UnsafeMutablePointer<sockaddr_storage>
    private let headers: OpaquePointer

    /// Opens a socket on `interface` with a `receiveBufferBytes` receive buffer (forced past the system limit
    /// when we may). The corresponding C calls are `socket(AF_PACKET)`, `setsockopt` and `bind`.
    public init(interface: String, receiveBufferBytes: Int, batchCapacity: Int = 64) throws {
        let fd = mlink_packet_open(interface, Int32(clamping: receiveBufferBytes))
        guard fd >= 0 else { throw SystemError("AF_PACKET socket", interface, errno: -fd) }
        descriptor = FileDescriptor(owning: fd)
        interfaceName = interface
        self.batchCapacity = batchCapacity
        guard let h = mlink_batch_headers_new(Int32(batchCapacity)) else {
            throw SystemError("AF_PACKET socket", interface, errno: ENOMEM)
        }
        headers = h
        lengths = .allocate(capacity: batchCapacity)
        lengths.initialize(repeating: 0, count: batchCapacity)
        sources = .allocate(capacity: batchCapacity)
        sources.initialize(repeating: sockaddr_storage(), count: batchCapacity)
    }

    deinit {
        mlink_batch_headers_free(headers)
        lengths.deallocate()
        sources.deallocate()
    }

    /// Reads up to `count` (at most `batchCapacity`) waiting frames into `buffers[i]`, each `bufferSize` bytes,
    /// without blocking; `lengths[i]` says how long each is. Returns how many, 0 when none is waiting.
    /// The corresponding C function is `recvmmsg`.
    @inline(__always)
    public func receive(into buffers: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, bufferSize: Int,
                        count: Int) throws -> Int {
        let n = mlink_recv_batch(descriptor.rawValue, buffers, bufferSize,
                                 UnsafeMutableRawPointer(lengths).assumingMemoryBound(to: size_t.self),
                                 sources, Int32(min(count, batchCapacity)), headers)
        if n >= 0 { return Int(n) }
        let e = -n
        if e == EAGAIN || e == EWOULDBLOCK { return 0 }
        throw SystemError("recvmmsg", interfaceName, errno: e)
    }

    /// Sends one frame (virtio-net header included) without blocking. Returns false when the kernel did not
    /// take it (queue full, interface down): the caller counts a drop and goes on. The corresponding C
    /// function is `send`.
    @inline(__always)
    public func send(_ frame: UnsafeRawPointer, count: Int) -> Bool {
        retryingInterrupts { Glibc.send(descriptor.rawValue, frame, count, Int32(MSG_DONTWAIT)) } >= 0
    }
}
