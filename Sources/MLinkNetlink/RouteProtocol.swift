/// Route and rule originator ids (RTPROT_*) that mlink uses.
///
/// Tagging every route and rule mlink installs lets `down`, and recovery after a crash, remove exactly mlink's
/// entries (`ip route flush proto 109`) without touching anyone else's.
public enum RouteProtocol {
    /// mlink's id: 109, 0x6d, ASCII "m".
    ///
    /// Chosen free of the kernel's RTPROT_* list (linux/rtnetlink.h: 0-4, 8-18, 42, 99, 186-189, 192) and of
    /// iproute2's /etc/iproute2/rt_protos on Debian 12. The kernel does not interpret values above
    /// RTPROT_STATIC (4), so the only risk is another daemon picking the same number; `ip route show proto 109`
    /// on a host shows whether one has. Name it for `ip` with
    /// `echo "109 mlink" > /etc/iproute2/rt_protos.d/mlink.conf`.
    public static let mlink: UInt8 = 0x6d
    /// Routes added by an administrator (`ip route add` without `proto`).
    public static let boot: UInt8 = 3
    /// Routes the kernel derives from addresses.
    public static let kernel: UInt8 = 2
}
