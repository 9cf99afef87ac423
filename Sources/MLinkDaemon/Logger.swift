import Glibc

/// Log lines on stderr (the journal under systemd, NAME.log when detached), rate-limited per message kind.
///
/// Never used per packet: the data path counts, and the log reports what changed.
public final class Logger {
    private let prefix: String
    private var lastByKey: [String: Double] = [:]

    public init(prefix: String) {
        self.prefix = prefix
    }

    public func info(_ message: @autoclosure () -> String) { emit("info", message()) }
    public func warning(_ message: @autoclosure () -> String) { emit("warning", message()) }
    public func error(_ message: @autoclosure () -> String) { emit("error", message()) }

    /// Logs at most once per `interval` seconds for `key` (for events an attacker can trigger at will).
    public func limited(_ key: String, interval: Double = 10, _ message: @autoclosure () -> String) {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let now = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        if let last = lastByKey[key], now - last < interval { return }
        lastByKey[key] = now
        emit("warning", message())
    }

    private func emit(_ level: String, _ message: String) {
        let line = "\(prefix): \(level): \(message)\n"
        _ = line.withCString { fputs($0, stderr) }
        fflush(stderr)
    }
}
