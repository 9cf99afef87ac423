extension ForwardingCore {
    /// What the core has installed so far (per-link source routing), as `[#] ip ...` lines: the detached core
    /// sends them with its readiness report so that `up` can echo them like its own side effects.
    public var installedRoutingCommands: [String] { sourceRouting.installedCommands }
}
