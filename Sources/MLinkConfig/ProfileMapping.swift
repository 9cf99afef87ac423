import MLinkYAML

/// A mapping from the profile whose keys have been checked: all known, none twice, all strings.
///
/// Keys are checked once, in document order, before any value is read, so a misspelt key is reported as
/// misspelt rather than as a missing required key.
struct ProfileMapping {
    /// The field holding this mapping; its path prefixes every key path.
    let field: ProfileField
    private var values: [String: ProfileField] = [:]

    init(field: ProfileField, knownKeys: [String]) throws {
        self.field = field
        guard case .mapping(let entries) = field.node.content else {
            throw field.error("expected a mapping, got \(field.node.foundDescription)")
        }
        var firstMarks: [String: YAMLMark] = [:]
        for entry in entries {
            guard case .scalar(let key, _) = entry.key.content else {
                throw ProfileError(file: field.file, mark: entry.key.mark,
                                   key: field.path.isEmpty ? "document" : field.path,
                                   problem: "a key must be a string, got \(entry.key.foundDescription)")
            }
            let child = ProfileField(file: field.file, path: childPath(key), node: entry.value, keyMark: entry.key.mark)
            if let first = firstMarks[key] {
                throw child.keyError("duplicate key; first given at line \(first.line), column \(first.column)")
            }
            guard knownKeys.contains(key) else {
                guard let suggestion = KeySuggestion.closest(to: key, among: knownKeys) else {
                    throw child.keyError("unknown key")
                }
                throw child.keyError("unknown key; did you mean '\(suggestion)'?")
            }
            firstMarks[key] = entry.key.mark
            values[key] = child
        }
    }

    /// The value under `key`, or nil when the key is absent.
    subscript(key: String) -> ProfileField? { values[key] }

    /// The value under `key`, or an error at this mapping saying `key` is missing.
    func required(_ key: String, _ hint: String) throws -> ProfileField {
        guard let value = values[key] else { throw missing(key, hint) }
        return value
    }

    /// An error, placed at this mapping, about `key` being absent; `problem` says what it should hold.
    func missing(_ key: String, _ problem: String) -> ProfileError {
        ProfileError(file: field.file, mark: field.node.mark, key: childPath(key), problem: problem)
    }

    /// The dotted path of `key` inside this mapping.
    func childPath(_ key: String) -> String {
        field.path.isEmpty ? key : "\(field.path).\(key)"
    }
}
