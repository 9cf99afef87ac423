import MLinkSystem

/// Log lines on stderr (the journal under systemd, NAME.log when detached).
///
/// Never used per packet: the data path counts, and the log reports what changed.
public final class Logger {
    private let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    public func info(_ message: @autoclosure () -> String) { emit("info", message()) }
    public func warning(_ message: @autoclosure () -> String) { emit("warning", message()) }
    public func error(_ message: @autoclosure () -> String) { emit("error", message()) }

    private func emit(_ level: String, _ message: String) {
        StandardError.write("\(prefix): \(level): \(message)\n")
    }
}
