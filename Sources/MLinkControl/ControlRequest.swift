/// A request on the control socket: one line of text, answered once, then the core closes the connection.
///
/// `show` is answered with the status report as one JSON line; `stop` with `ok` (the core then stops);
/// anything else with `error: ...`.
public enum ControlRequest: String, CaseIterable, Sendable {
    case show
    case stop

    /// The longest request the core reads; a client that sends more without a line feed is closed.
    public static let maximumLength = 256

    /// The request on `line` (surrounding spaces, tabs and a carriage return ignored).
    public init(line: some StringProtocol) throws {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        let word = String(trimmed.reversed())
        guard let request = ControlRequest(rawValue: word) else { throw ControlError.unknownRequest(word) }
        self = request
    }

    /// The bytes a client sends.
    public var wireLine: [UInt8] { Array("\(rawValue)\n".utf8) }
}
