extension Lab {
    /// Changes one net's impairment, applies it to both ends and saves it, under the lab's lock.
    ///
    /// Returns the wire as it now is.
    @discardableResult
    func impair(lab: String, net: String, _ change: (inout Wire.Impairment) -> Void) throws(LabError) -> Wire {
        try updateWire(lab: lab, net: net) { (wire) throws(LabError) in
            change(&wire.impairment)
            try wire.applyImpairment(using: system)
        }
    }

    /// Runs `change` on one net's wire under the lab's lock and saves the state if it did not throw.
    func updateWire(lab: String, net: String,
                    _ change: (inout Wire) throws(LabError) -> Void) throws(LabError) -> Wire {
        guard paths.runningLabs().contains(lab) else { throw .labNotRunning(lab) }
        let lock = try LabLock(path: paths.lockFile(of: lab))
        defer { withExtendedLifetime(lock) {} }
        var state = try paths.load(lab)
        guard let index = state.wires.firstIndex(where: { $0.net == net }) else {
            throw .unknownNet(net, lab: lab, known: state.wires.map(\.net))
        }
        var wire = state.wires[index]
        try change(&wire)
        state.wires[index] = wire
        try paths.save(state)
        return wire
    }

    /// Cuts a net for `seconds`, then restores it (loss set meanwhile stays); SIGINT/SIGTERM restore early.
    ///
    /// Returns false when a signal cut the wait short. If the lab went away meanwhile there is nothing to restore.
    func cut(lab: String, net: String, forSeconds seconds: Double) throws(LabError) -> Bool {
        Interruption.catchSignals()
        try impair(lab: lab, net: net) { $0.isCut = true }
        let completed = Interruption.sleep(seconds: seconds)
        do {
            try impair(lab: lab, net: net) { $0.isCut = false }
        } catch .labNotRunning {
            system.note("lab \(lab) is gone; nothing to restore")
        }
        return completed
    }
}
