/// Inner packets that must not leave their link (RFC 4291 section 2.5.6 and 2.7, RFC 3927, RFC 5771): a host's
/// kernel sends IPv6 router solicitations and MLD reports, and IGMP to 224.0.0.x, on its idle TUN. The tunnel is
/// not that link's other end (the router forwards by virtual address and drops them: no route, or a source
/// outside the host's allowed-ips), so a host drops them before sealing, counted as no route: they cost the
/// data copies on every link, and each woke an idle path's probing (docs/ARCHITECTURE.md, "Probing follows use").
extension InnerPacket {
    /// True for an IPv4 packet to 224.0.0.0/24 or 169.254.0.0/16, from 169.254.0.0/16, or an IPv6 packet to
    /// ff01::/16, ff02::/16 or fe80::/10, or from fe80::/10.
    @inline(__always)
    public static func isLinkScoped(_ p: UnsafeRawPointer, length: Int) -> Bool {
        guard length >= 1 else { return false }
        switch p.load(as: UInt8.self) >> 4 {
        case 4:
            guard length >= 20 else { return false }
            let d0 = p.load(fromByteOffset: 16, as: UInt8.self), d1 = p.load(fromByteOffset: 17, as: UInt8.self)
            let d2 = p.load(fromByteOffset: 18, as: UInt8.self)
            let s0 = p.load(fromByteOffset: 12, as: UInt8.self), s1 = p.load(fromByteOffset: 13, as: UInt8.self)
            return (d0 == 224 && d1 == 0 && d2 == 0) || (d0 == 169 && d1 == 254) || (s0 == 169 && s1 == 254)
        case 6:
            guard length >= 40 else { return false }
            let d0 = p.load(fromByteOffset: 24, as: UInt8.self), d1 = p.load(fromByteOffset: 25, as: UInt8.self)
            let s0 = p.load(fromByteOffset: 8, as: UInt8.self), s1 = p.load(fromByteOffset: 9, as: UInt8.self)
            return (d0 == 0xff && (d1 & 0x0f) <= 2) || (d0 == 0xfe && d1 & 0xc0 == 0x80) || (s0 == 0xfe && s1 & 0xc0 == 0x80)
        default:
            return false
        }
    }
}
