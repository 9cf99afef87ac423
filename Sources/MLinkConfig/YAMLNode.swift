/// A position in the profile text: 1-based line and column, as editors count them.
///
/// Columns count characters, not bytes, because libyaml advances its mark once per character.
struct YAMLMark: Equatable, Sendable {
    var line: Int
    var column: Int

    /// The start of the text; used when a problem has no better position (an empty file).
    static let start = YAMLMark(line: 1, column: 1)
}

/// One node of a parsed YAML document, with the mark where it starts.
///
/// The validator needs positions for every complaint, so the tree keeps them instead of using libyaml's
/// document API and losing them in conversion. Mappings stay ordered lists, not dictionaries, so that duplicate
/// keys survive parsing and can be reported.
struct YAMLNode: Sendable {
    /// What the node holds.
    enum Content: Sendable {
        /// A scalar's text; `isPlain` is false for quoted, block or explicitly tagged scalars, which are strings
        /// even when they look like numbers or null.
        case scalar(String, isPlain: Bool)
        case sequence([YAMLNode])
        case mapping([Entry])
    }

    /// One key-value pair of a mapping, in document order.
    struct Entry: Sendable {
        var key: YAMLNode
        var value: YAMLNode
    }

    var content: Content
    var mark: YAMLMark

    /// True for the YAML 1.1 null forms: an empty plain scalar, `~` and `null`.
    var isNull: Bool {
        guard case .scalar(let text, isPlain: true) = content else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// How an error message names what was found instead of what was expected.
    var foundDescription: String {
        switch content {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(let text, let isPlain):
            if isNull { return "nothing" }
            return isPlain ? "'\(text)'" : "a quoted string '\(text)'"
        }
    }
}
