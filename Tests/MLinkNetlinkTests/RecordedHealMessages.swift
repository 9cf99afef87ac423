import MLinkTypes

/// Recordings for the heal check of per-link source routing, Linux 6.18, captured with a small Python
/// AF_NETLINK client (NETLINK_EXT_ACK, NETLINK_CAP_ACK and NETLINK_GET_STRICT_CHK set, as the heal check's
/// `RouteNetlink(strictDumps: true)` sets them) in a throwaway namespace (`mlnl-cap-heal*`, since deleted):
/// lo (1), d1 (2) and d0 (3), a veth pair, 10.2.0.2/24 on d0, and what mlink installs for d0: table 10901 with
/// `10.2.0.0/24 dev d0 proto 109 src 10.2.0.2` and `default via 10.2.0.1 dev d0 proto 109`, rules
/// `10900: from 10.2.0.2 lookup main suppress_prefixlength 0 proto 109` and
/// `10900: from 10.2.0.2 lookup 10901 proto 109`; main also held 198.18.0.1-3/32 via 10.2.0.1, which the
/// strict dump of table 10901 leaves out.
extension Recorded {
    /// The strict RTM_GETROUTE dump request for table 10901 (AF_UNSPEC, RTA_TABLE), seq 0x6d6c0101.
    static let ownTableDumpRequest = bytes(fromHex: """
        24000000 1a000103 01016c6d 00000000 00000000 00000000 00000000 08000f00
        952a0000
        """)

    /// The answer to `ownTableDumpRequest` with mlink's entry in place: its two routes (flagged
    /// NLM_F_DUMP_FILTERED), main's routes not among them.
    static let ownTableDump = bytes(fromHex: """
        34000000 18002200 01016c6d 08240000 02000000 fc6d0001 00000000 08000f00
        952a0000 08000500 0a020001 08000400 03000000 3c000000 18002200 01016c6d
        08240000 02180000 fc6dfd01 00000000 08000f00 952a0000 08000100 0a020000
        08000700 0a020002 08000400 03000000
        """)

    /// The NLMSG_DONE that ended `ownTableDump`.
    static let ownTableDumpDone = bytes(fromHex: """
        14000000 03002200 01016c6d 08240000 00000000
        """)

    /// The answer to the same request after `ip link set d0 down; ip link set d0 up`: NLMSG_DONE alone, the
    /// kernel flushed both routes (and sent no RTM_DELROUTE for them).
    static let ownTableDumpAfterFlap = bytes(fromHex: """
        14000000 03002200 01016c6d 75240000 00000000
        """)

    /// The RTM_GETRULE dump (one datagram, NLMSG_DONE included) with mlink's two rules at 10900, before and
    /// after the flap alike: rules do not go with a link.
    static let ownRulesDump = bytes(fromHex: """
        34000000 20000200 01016c6d 39240000 02000000 ff000001 00000000 08000f00
        ff000000 08000e00 ffffffff 05001500 02000000 44000000 20000200 01016c6d
        39240000 02002000 fe000001 00000000 08000f00 fe000000 08000e00 00000000
        05001500 6d000000 08000600 942a0000 08000200 0a020002 44000000 20000200
        01016c6d 39240000 02002000 fc000001 00000000 08000f00 952a0000 08000e00
        ffffffff 05001500 6d000000 08000600 942a0000 08000200 0a020002 3c000000
        20000200 01016c6d 39240000 02000000 fe000001 00000000 08000f00 fe000000
        08000e00 ffffffff 05001500 02000000 08000600 fe7f0000 3c000000 20000200
        01016c6d 39240000 02000000 fd000001 00000000 08000f00 fd000000 08000e00
        ffffffff 05001500 02000000 08000600 ff7f0000 3c000000 20000200 01016c6d
        39240000 80000000 fd000001 00000000 08000f00 fd000000 08000e00 ffffffff
        05001500 02000000 08000600 ff7f0000 3c000000 20000200 01016c6d 39240000
        81000000 fe000001 00000000 08000f00 fe000000 08000e00 ffffffff 05001500
        02000000 08000600 ff7f0000 34000000 20000200 01016c6d 39240000 0a000000
        ff000001 00000000 08000f00 ff000000 08000e00 ffffffff 05001500 02000000
        3c000000 20000200 01016c6d 39240000 0a000000 fe000001 00000000 08000f00
        fe000000 08000e00 ffffffff 05001500 02000000 08000600 fe7f0000 14000000
        03000200 01016c6d 39240000 00000000
        """)
}
