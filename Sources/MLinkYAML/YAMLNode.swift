/// A position in a YAML file: 1-based line and column, as editors count them.
///
/// Columns count characters, not bytes, because libyaml advances its mark once per character.
public struct YAMLMark: Equatable, Sendable {
    /// 1-based line.
    public var line: Int
    /// 1-based column, in characters.
    public var column: Int

    /// A mark at an explicit position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The start of the text; used when a problem has no better position (an empty file).
    public static let start = YAMLMark(line: 1, column: 1)
}

/// One node of a parsed YAML document, with the mark where it starts.
///
/// Every reader (profiles, lab topologies, scenarios, time scripts) needs positions for each complaint, so the
/// tree keeps them instead of using libyaml's document API and losing them in conversion. Mappings stay ordered lists, not dictionaries, so that duplicate
/// keys survive parsing and can be reported.
public struct YAMLNode: Sendable {
    /// What the node holds.
    public enum Content: Sendable {
        /// A scalar's text; `isPlain` is false for quoted, block or explicitly tagged scalars, which are strings
        /// even when they look like numbers or null.
        case scalar(String, isPlain: Bool)
        /// The items of a sequence, in document order.
        case sequence([YAMLNode])
        /// The pairs of a mapping, in document order, duplicates kept.
        case mapping([Entry])
    }

    /// One key-value pair of a mapping, in document order.
    public struct Entry: Sendable {
        /// The key node (a scalar in every file mlink reads, but YAML allows any node).
        public var key: YAMLNode
        /// The value node.
        public var value: YAMLNode

        /// A pair as the reader builds it.
        public init(key: YAMLNode, value: YAMLNode) {
            self.key = key
            self.value = value
        }
    }

    /// What the node holds.
    public var content: Content
    /// Where the node starts.
    public var mark: YAMLMark

    /// A node with its content and position.
    public init(content: Content, mark: YAMLMark) {
        self.content = content
        self.mark = mark
    }

    /// True for the YAML 1.1 null forms: an empty plain scalar, `~` and `null`.
    public var isNull: Bool {
        guard case .scalar(let text, isPlain: true) = content else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// How an error message names what was found instead of what was expected.
    public var foundDescription: String {
        switch content {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(let text, let isPlain):
            if isNull { return "nothing" }
            return isPlain ? "'\(text)'" : "a quoted string '\(text)'"
        }
    }
}

extension YAMLNode {
    /// The text of a scalar node, or nil for a sequence or a mapping.
    public var scalarText: String? {
        guard case .scalar(let text, _) = content else { return nil }
        return text
    }

    /// The items of a sequence node, or nil.
    public var sequenceItems: [YAMLNode]? {
        guard case .sequence(let items) = content else { return nil }
        return items
    }

    /// The pairs of a mapping node, or nil.
    public var mappingEntries: [Entry]? {
        guard case .mapping(let entries) = content else { return nil }
        return entries
    }
}

extension Array where Element == YAMLNode.Entry {
    /// The value of the first pair whose key is the scalar `key`, if any.
    public func value(for key: String) -> YAMLNode? {
        first { $0.key.scalarText == key }?.value
    }
}
