import FoundationEssentials

/// What went wrong reading a status document.
public enum ControlError: Error, CustomStringConvertible, Equatable {
    /// The bytes are not a status document; carries the decoder's reason and the document's first bytes.
    case malformedStatus(reason: String, prefix: String)
    /// A request line that is not `show` or `stop`.
    case unknownRequest(String)

    public var description: String {
        switch self {
        case .malformedStatus(let reason, let prefix): return "status document unreadable: \(reason) (\(prefix))"
        case .unknownRequest(let line): return "unknown request (\(line))"
        }
    }
}

extension StatusReport {
    /// The JSON text of `show --json`: keys sorted; `pretty` for people, compact (one line) for `--watch`.
    public static func json<T: Encodable>(_ value: T, pretty: Bool) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        // Only non-finite numbers can fail, and the report holds none (ratios are guarded against 0/0).
        guard let data = try? encoder.encode(value) else { return Array("{}".utf8) }
        return Array(data)
    }

    /// This report as one JSON line (the control socket's answer to `show`).
    public var jsonLine: [UInt8] { StatusReport.json(self, pretty: false) + [UInt8(ascii: "\n")] }

    /// Reads a report the core sent.
    public init(json bytes: [UInt8]) throws {
        do {
            self = try JSONDecoder().decode(StatusReport.self, from: Data(bytes))
        } catch {
            throw ControlError.malformedStatus(reason: "\(error)",
                                               prefix: String(decoding: bytes.prefix(40), as: UTF8.self))
        }
    }
}
