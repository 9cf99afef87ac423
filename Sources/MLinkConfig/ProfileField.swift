import MLinkTypes
import MLinkYAML

/// A value found in the profile together with its dotted key path: the unit the validator checks and blames.
///
/// Every typed read either returns a Swift value or throws a `ProfileError` that already carries the file,
/// the value's position and the key path, so validation code never assembles positions by hand.
struct ProfileField {
    /// The file name used in errors.
    let file: String
    /// Dotted key path, such as `router.endpoints[1]`.
    let path: String
    /// The value.
    let node: YAMLNode
    /// Where the key of this value starts, when the value came from a mapping.
    let keyMark: YAMLMark?

    /// Where to point for a problem with the value itself. An empty value (`key:` and nothing) has no text to
    /// point at; libyaml places it wherever the next token starts, so the key is the better place.
    var valueMark: YAMLMark {
        if case .scalar("", isPlain: true) = node.content, let keyMark { return keyMark }
        return node.mark
    }

    /// An error about this value.
    func error(_ problem: String) -> ProfileError {
        ProfileError(file: file, mark: valueMark, key: path, problem: problem)
    }

    /// An error about the key itself (it should not be there, or not twice).
    func keyError(_ problem: String) -> ProfileError {
        ProfileError(file: file, mark: keyMark ?? node.mark, key: path, problem: problem)
    }

    /// The text of a scalar; numbers and words alike are accepted, because a name such as `2` is still a name.
    func string() throws -> String {
        guard case .scalar(let text, _) = node.content, !node.isNull else {
            throw error("expected a string, got \(node.foundDescription)")
        }
        return text
    }

    /// A plain decimal integer inside `range`; `unit` follows the range in the message.
    func integer(in range: ClosedRange<Int>, unit: String = "") throws -> Int {
        guard case .scalar(let text, isPlain: true) = node.content, !node.isNull else {
            throw error("expected an integer, got \(node.foundDescription)")
        }
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw error("expected an integer, got '\(text)'")
        }
        let suffix = unit.isEmpty ? "" : " \(unit)"
        guard let value = Int(text), range.contains(value) else {
            throw error("\(text) is not in \(range.lowerBound)...\(range.upperBound)\(suffix)")
        }
        return value
    }

    /// The items of a list, each with its `[index]` path.
    func list() throws -> [ProfileField] {
        guard case .sequence(let items) = node.content else {
            throw error("expected a list, got \(node.foundDescription)")
        }
        return items.enumerated().map { index, item in
            ProfileField(file: file, path: "\(path)[\(index)]", node: item, keyMark: nil)
        }
    }

    /// The value as a mapping whose keys must all be among `knownKeys`.
    func mapping(knownKeys: [String]) throws -> ProfileMapping {
        guard case .mapping = node.content else {
            throw error("expected a mapping, got \(node.foundDescription)")
        }
        return try ProfileMapping(field: self, knownKeys: knownKeys)
    }

    /// A 32-byte key in standard base64. The text is never echoed: it may be a private key.
    func key() throws -> Key32 {
        guard let key = Key32(base64: try string()) else { throw error(ProfileField.badKeyProblem) }
        return key
    }

    /// The one wording for every malformed key, public or private.
    static let badKeyProblem = "not a base64 X25519 key (32 bytes)"
}
