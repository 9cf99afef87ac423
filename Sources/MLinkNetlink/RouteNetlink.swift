import CMnl
import MLinkSystem

/// The configuration side of rtnetlink: links, addresses, routes and rules, read and changed through one
/// NETLINK_ROUTE socket.
///
/// Every change is acknowledged before the call returns, so a caller can roll back step by step, and a refusal
/// arrives as a `NetlinkError` naming the change in words plus the kernel's own explanation. Calls block until
/// the kernel answers (it answers at once). Not thread-safe: give each thread its own instance. The socket
/// belongs to the network namespace of the thread that created the instance.
public final class RouteNetlink {
    let socket: NetlinkSocket

    /// Opens the socket. The corresponding C calls are `socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)` and `bind`.
    public init() throws {
        socket = try NetlinkSocket(groups: 0, nonBlocking: false)
    }

    /// Opens the socket with strict checking of dump requests when `strictDumps` (NETLINK_GET_STRICT_CHK,
    /// Linux 4.20+), so `routes(inTable:)` makes the kernel read one table instead of all. Best effort: an older
    /// kernel refuses the option and its dumps are filtered here. `hasStrictDumps` says which it was.
    public init(strictDumps: Bool) throws {
        socket = try NetlinkSocket(groups: 0, nonBlocking: false)
        hasStrictDumps = strictDumps && socket.enableStrictChecking()
    }

    /// True when the kernel filters this socket's dumps by table (see `init(strictDumps:)`).
    public private(set) var hasStrictDumps = false

    /// A link's name for messages, "#index" when it has none (any more).
    func describeLink(_ index: Int32) -> String {
        NetworkInterfaces.name(ofIndex: index) ?? "link #\(index)"
    }
}
