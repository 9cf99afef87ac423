import Foundation

extension Lab {
    /// Stops mlink on every host (clients first), deletes the namespaces and the lab's directory.
    ///
    /// Idempotent: what is already gone is skipped; a lab without a state file is reported as not running
    /// (and a directory left by an `up` that died before saving its state is removed). Returns false when there
    /// was no lab. A namespace that cannot be deleted keeps the state so that `down` can be retried.
    @discardableResult
    func down(_ lab: String) throws(LabError) -> Bool {
        let directory = paths.directory(of: lab)
        guard FileManager.default.fileExists(atPath: paths.stateFile(of: lab)) else {
            try removeDirectory(directory)
            return false
        }
        var failure: LabError?
        do {
            let lock = try LabLock(path: paths.lockFile(of: lab))
            defer { withExtendedLifetime(lock) {} }
            let state = try paths.load(lab)
            let mlink = try? locateMlink()
            for host in state.stopOrder { stopMlink(host, mlink: mlink) }
            for wire in state.wires { wire.remove(using: system) }
            for host in state.hosts where system.namespaceExists(host.namespace) {
                do {
                    try system.run(["ip", "netns", "del", host.namespace])
                } catch {
                    failure = failure ?? error
                }
            }
        }
        if let failure { throw failure }
        try removeDirectory(directory)
        return true
    }

    /// Stops one host's mlink if it was started: `mlink down IFNAME`, else SIGTERM to the pids in its run dir.
    func stopMlink(_ host: LabState.Host, mlink: String?) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: host.runDirectory)) ?? []
        guard !entries.isEmpty else { return }
        if let mlink, system.namespaceExists(host.namespace) {
            let stop = ["ip", "netns", "exec", host.namespace, "env", "MLINK_RUN_DIR=\(host.runDirectory)",
                        mlink, "down", host.interface]
            if (try? system.run(stop, inheritOutput: true)) != nil { return }
        }
        for entry in entries.sorted() where entry.hasSuffix(".pid") {
            let path = "\(host.runDirectory)/\(entry)"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let pid = Int32(text.trimmingWhitespace()) else { continue }
            if !system.terminate(pid: pid) { system.note("\(host.name): pid \(pid) from \(path) was not running") }
        }
    }
}
