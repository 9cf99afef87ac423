import Foundation

extension Bench {
    /// `MLINK_BENCH_LOGS=DIR`: before the lab goes down, copies every host's mlink log into DIR
    /// (`SCENARIO[-MODE]-HOST-FILE`) and prints its failover and PATH_SILENT lines on stderr (each switch with its
    /// reason, each alarm with its silence, threshold and tick gap), so that a takeover or a false alarm in a run
    /// can be read afterwards. Without the variable nothing is kept: the logs go with the lab.
    func keepDaemonLogs() {
        guard let target = ProcessInfo.processInfo.environment["MLINK_BENCH_LOGS"], !target.isEmpty else { return }
        let files = FileManager.default
        try? files.createDirectory(atPath: target, withIntermediateDirectories: true)
        let run = scenario.name + (mode.map { "-" + $0 } ?? "")
        for host in ["vm0", "vm1", "vm2"] {
            let directory = lab.paths.runDirectory(of: labName, host: host)
            let names = ((try? files.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".log") }
            for name in names.sorted() {
                guard let data = files.contents(atPath: directory + "/" + name) else { continue }
                _ = files.createFile(atPath: "\(target)/\(run)-\(host)-\(name)", contents: data)
                for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
                where line.contains("failover from") || line.contains("PATH_SILENT") {
                    FileHandle.standardError.write(Data("\(run) \(host): \(line)\n".utf8))
                }
            }
        }
    }
}
