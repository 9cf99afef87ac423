/// Turns profile text into one `YAMLNode` tree, or a `ProfileError` that names the file, line and column.
///
/// Built on the event API with an explicit stack so that nesting depth costs heap, not call stack, and is
/// capped: a profile is three levels deep, so anything far deeper is a mistake or an attack on the parser.
enum YAMLReader {
    /// Deeper nesting is refused before it can cost memory or stack in later passes.
    static let maximumDepth = 32

    /// The single document in `bytes` (UTF-8, or UTF-16 with a byte order mark); `file` only labels errors.
    ///
    /// Bytes, not a `String`, so that invalid UTF-8 in a file is reported where it is instead of being
    /// silently replaced.
    static func readDocument(bytes: [UInt8], file: String) throws -> YAMLNode {
        do {
            return try readDocument(parser: LibYAMLParser(bytes: bytes), file: file)
        } catch let error as LibYAMLParser.SyntaxError {
            throw ProfileError(file: file, mark: error.mark, key: "yaml", problem: error.problem)
        }
    }

    private static func readDocument(parser: LibYAMLParser, file: String) throws -> YAMLNode {
        func fail(_ mark: YAMLMark, _ problem: String) -> ProfileError {
            ProfileError(file: file, mark: mark, key: "document", problem: problem)
        }
        var (event, mark) = try parser.nextEvent()
        if case .streamStart = event { (event, mark) = try parser.nextEvent() }
        guard case .documentStart = event else {
            throw fail(.start, "the file holds no YAML document; expected a mapping of profile keys")
        }
        let root = try readNode(parser: parser, file: file)
        (event, mark) = try parser.nextEvent()
        guard case .documentEnd = event else { throw fail(mark, "expected the end of the document") }
        (event, mark) = try parser.nextEvent()
        if case .documentStart = event {
            throw fail(mark, "a second document starts here; a profile file holds exactly one")
        }
        return root
    }

    /// A partly built collection on the builder's stack.
    private struct Frame {
        var mark: YAMLMark
        var anchor: String?
        var isMapping: Bool
        var items: [YAMLNode] = []
        var entries: [YAMLNode.Entry] = []
        var pendingKey: YAMLNode?

        func node() -> YAMLNode {
            YAMLNode(content: isMapping ? .mapping(entries) : .sequence(items), mark: mark)
        }
    }

    /// Reads exactly one node (with everything nested in it) from the parser's next events.
    private static func readNode(parser: LibYAMLParser, file: String) throws -> YAMLNode {
        var stack: [Frame] = []
        var anchors: [String: YAMLNode] = [:]
        while true {
            let (event, mark) = try parser.nextEvent()
            var completed: YAMLNode
            var anchor: String?
            switch event {
            case .scalar(let text, let isPlain, let scalarAnchor):
                completed = YAMLNode(content: .scalar(text, isPlain: isPlain), mark: mark)
                anchor = scalarAnchor
            case .alias(let name):
                guard let target = anchors[name] else {
                    throw ProfileError(file: file, mark: mark, key: "yaml",
                                       problem: "alias '*\(name)' names no earlier anchor")
                }
                completed = YAMLNode(content: target.content, mark: mark)
            case .sequenceStart(let frameAnchor), .mappingStart(let frameAnchor):
                guard stack.count < maximumDepth else {
                    throw ProfileError(file: file, mark: mark, key: "yaml",
                                       problem: "nesting deeper than \(maximumDepth) levels")
                }
                var isMapping = false
                if case .mappingStart = event { isMapping = true }
                stack.append(Frame(mark: mark, anchor: frameAnchor, isMapping: isMapping))
                continue
            case .sequenceEnd, .mappingEnd:
                guard let frame = stack.popLast() else {
                    throw ProfileError(file: file, mark: mark, key: "yaml", problem: "unbalanced end of a collection")
                }
                completed = frame.node()
                anchor = frame.anchor
            case .streamStart, .streamEnd, .documentStart, .documentEnd:
                throw ProfileError(file: file, mark: mark, key: "yaml", problem: "unexpected document boundary")
            }
            if let anchor { anchors[anchor] = completed }
            guard var parent = stack.popLast() else { return completed }
            if !parent.isMapping {
                parent.items.append(completed)
            } else if let key = parent.pendingKey {
                parent.entries.append(YAMLNode.Entry(key: key, value: completed))
                parent.pendingKey = nil
            } else {
                parent.pendingKey = completed
            }
            stack.append(parent)
        }
    }
}
