/// Why `up` or `down` refused or failed; each case carries the offending value.
public enum SetupError: Error, Equatable, CustomStringConvertible {
    /// The interface exists already (another mlink, or something else's device): `up` touches nothing.
    case interfaceExists(String)
    /// The device disappeared between its creation and its configuration.
    case interfaceVanished(String)
    /// The interface has a state file and a live core.
    case alreadyRunning(String)
    /// The detached core reported a failure, or exited before reporting; carries its words.
    case coreFailed(String)
    /// No state for the interface, profile name or path given.
    case notRunning(String)
    /// A state file exists but cannot be read back; carries the path and the decoder's reason.
    case stateUnreadable(path: String, reason: String)
    /// `up` found the source-routing tables or rule priority of `interface` in use: `what` ("table range
    /// 10900-11155", "rule priority 10900"), `holder` (another mlink interface) and `evidence` (its state file,
    /// or the kernel's rule in `ip rule` words).
    case routingRangeTaken(interface: String, what: String, holder: String, evidence: String)

    public var description: String {
        switch self {
        case .interfaceExists(let n): return "interface \(n) already exists"
        case .interfaceVanished(let n): return "interface \(n) disappeared right after creation"
        case .alreadyRunning(let n): return "\(n) is already up"
        case .coreFailed(let why): return "the forwarding core did not start: \(why)"
        case .notRunning(let n): return "\(n) is not running (no state under the run directory)"
        case .stateUnreadable(let path, let reason): return "cannot read the state of `up`: \(reason) (\(path))"
        case .routingRangeTaken(let interface, let what, let holder, let evidence):
            return "up \(interface): \(what) is used by \(holder) (\(evidence)); "
                + "give this profile another routing.table-base and routing.rule-priority"
        }
    }
}
