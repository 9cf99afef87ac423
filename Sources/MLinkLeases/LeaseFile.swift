import MLinkTypes

/// The router's lease file, `STATE_DIR/leases`: text, a versioned header, one binding per line.
///
/// ```
/// # mlink leases 1
/// 10.77.0.37 XYHwCTervPu8xJLAj0YQQQYbExTCh7O7G7JE690lJWM= bound 1767225600 1767222000 r1
/// ```
/// Fields: address, public key (base64), state, expires and created (Unix seconds), allocator, then (since
/// issue 16) `updated` in Unix milliseconds and the word `provisional` on an unconfirmed synced binding
/// (PROTOCOL.md §14.4); a line without them (an older file) reads as updated = created, confirmed. Reading is
/// tolerant: a line that does not parse is reported as a warning and skipped, so one damaged line never costs
/// the other hosts their addresses. A file with another version is refused whole (warned), never guessed at.
public enum LeaseFile {
    /// The first line of a version-1 file.
    public static let header = "# mlink leases 1"

    /// The file's text for `bindings`.
    public static func encode(_ bindings: [Binding]) -> String {
        var text = header + "\n"
        for binding in bindings {
            text += "\(binding.address) \(binding.key.base64) \(binding.state.rawValue) \(binding.expires) "
                + "\(binding.created) \(binding.allocator) \(binding.updated)"
                + (binding.provisional ? " provisional\n" : "\n")
        }
        return text
    }

    /// A line that was skipped, and why.
    public struct Warning: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based line number.
        public var line: Int
        /// What is wrong with it.
        public var problem: String

        public init(line: Int, problem: String) { self.line = line; self.problem = problem }

        public var description: String { "line \(line): \(problem)" }
    }

    /// The bindings in `text` and a warning per skipped line.
    public static func decode(_ text: String) -> (bindings: [Binding], warnings: [Warning]) {
        var bindings: [Binding] = []
        var warnings: [Warning] = []
        var sawHeader = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if !sawHeader {
                guard line == header else {
                    let found = line.hasPrefix("# mlink leases ") ? "version '\(line.dropFirst(15))'" : "no header"
                    return ([], [Warning(line: number, problem: "not a version-1 lease file (\(found)); ignored")])
                }
                sawHeader = true
                continue
            }
            if line.isEmpty || line.hasPrefix("#") { continue }
            switch binding(from: line) {
            case .success(let binding):
                if bindings.contains(where: { $0.address == binding.address }) {
                    warnings.append(Warning(line: number, problem: "\(binding.address) is listed twice; skipped"))
                } else {
                    bindings.append(binding)
                }
            case .failure(let problem):
                warnings.append(Warning(line: number, problem: problem.text + "; skipped"))
            }
        }
        if !sawHeader { return ([], []) }
        return (bindings, warnings)
    }

    struct Problem: Error { var text: String }

    static func binding(from line: Substring) -> Result<Binding, Problem> {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 6 && fields.count <= 8 else {
            return .failure(Problem(text: "expected 6 fields, found \(fields.count)"))
        }
        guard let address = IPAddress(String(fields[0])), !address.isIPv6 else {
            return .failure(Problem(text: "'\(fields[0])' is not an IPv4 address"))
        }
        guard let key = Key32(base64: String(fields[1])) else {
            return .failure(Problem(text: "the key is not base64 of 32 bytes"))
        }
        guard let state = Binding.State(rawValue: String(fields[2])) else {
            return .failure(Problem(text: "unknown state '\(fields[2])'"))
        }
        guard let expires = UInt64(fields[3]), let created = UInt64(fields[4]) else {
            return .failure(Problem(text: "expires and created must be Unix seconds"))
        }
        var updated: UInt64?
        if fields.count >= 7 {
            guard let value = UInt64(fields[6]) else {
                return .failure(Problem(text: "updated must be Unix milliseconds"))
            }
            updated = value
        }
        if fields.count == 8, fields[7] != "provisional" {
            return .failure(Problem(text: "unknown flag '\(fields[7])'"))
        }
        return .success(Binding(address: address, key: key, state: state, expires: expires, created: created,
                                allocator: String(fields[5]), updated: updated, provisional: fields.count == 8))
    }
}
