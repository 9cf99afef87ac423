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
            // The binary that started the hosts stops them, unless MLINK_BIN names another.
            let mlink = mlinkOverride != nil ? try? locateMlink() : state.mlink ?? (try? locateMlink())
            for host in state.stopOrder { stopMlink(host, mlink: mlink) }
            for wire in state.wires { wire.remove(using: system) }
            let wireNamespaces = Set(state.wires.compactMap { $0.relay?.namespace }).sorted()
            for namespace in state.hosts.map(\.namespace) + wireNamespaces where system.namespaceExists(namespace) {
                do {
                    try system.run(["ip", "netns", "del", namespace])
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
        for (path, pid) in Lab.mlinkPids(in: host.runDirectory) where !system.terminate(pid: pid) {
            system.note("\(host.name): pid \(pid) from \(path) was not running")
        }
    }

    /// The daemon pids recorded in a run directory: `*.pid` files (a bare number) and mlink's `IFNAME.state`
    /// files (JSON with a `pid` field), as (file, pid), sorted by file.
    static func mlinkPids(in runDirectory: String) -> [(String, Int32)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory)) ?? []
        var found: [(String, Int32)] = []
        for entry in entries.sorted() {
            let path = "\(runDirectory)/\(entry)"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            var pid: Int32?
            if entry.hasSuffix(".pid") {
                pid = Int32(String(decoding: data, as: UTF8.self).trimmingWhitespace())
            } else if entry.hasSuffix(".state"),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                pid = (object["pid"] as? NSNumber)?.int32Value
            }
            if let pid, pid > 1 { found.append((path, pid)) }
        }
        return found
    }
}
