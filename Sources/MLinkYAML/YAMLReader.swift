/// Why a YAML file could not be read into a tree: where, which key (`yaml` for syntax, `document` for the
/// document's shape) and what, so that each reader can report it as `FILE:LINE:COL: key: problem`.
public struct YAMLError: Error, Equatable, CustomStringConvertible {
    /// Where the problem is.
    public var mark: YAMLMark
    /// `yaml` for a syntax or structure problem, `document` for a missing or extra document.
    public var key: String
    /// What is wrong, in libyaml's words or ours.
    public var problem: String

    /// An error at `mark`.
    public init(mark: YAMLMark, key: String, problem: String) {
        self.mark = mark
        self.key = key
        self.problem = problem
    }

    /// `LINE:COL: key: problem`; the caller puts the file name in front.
    public var description: String { "\(mark.line):\(mark.column): \(key): \(problem)" }
}

/// Turns YAML text into one `YAMLNode` tree, or a `YAMLError` that names the line and column.
///
/// Built on the event API with an explicit stack so that nesting depth costs heap, not call stack, and is
/// capped: a profile is three levels deep and a lab file four, so anything far deeper is a mistake or an
/// attack on the parser.
public enum YAMLReader {
    /// Deeper nesting is refused before it can cost memory or stack in later passes.
    public static let maximumDepth = 32

    /// The single document in `bytes` (UTF-8, or UTF-16 with a byte order mark).
    ///
    /// Bytes, not a `String`, so that invalid UTF-8 in a file is reported where it is instead of being
    /// silently replaced. `documentName` and `contents` only word the errors about the document itself:
    /// "a second document starts here; a DOCUMENTNAME file holds exactly one" and "the file holds no YAML
    /// document; expected CONTENTS".
    public static func readDocument(bytes: [UInt8], documentName: String,
                                    contents: String) throws(YAMLError) -> YAMLNode {
        do {
            return try readDocument(parser: LibYAMLParser(bytes: bytes), documentName: documentName,
                                    contents: contents)
        } catch let error as LibYAMLParser.SyntaxError {
            throw YAMLError(mark: error.mark, key: "yaml", problem: error.problem)
        } catch let error as YAMLError {
            throw error
        } catch {
            throw YAMLError(mark: .start, key: "yaml", problem: "\(error)")
        }
    }

    private static func readDocument(parser: LibYAMLParser, documentName: String,
                                     contents: String) throws -> YAMLNode {
        func fail(_ mark: YAMLMark, _ problem: String) -> YAMLError {
            YAMLError(mark: mark, key: "document", problem: problem)
        }
        var (event, mark) = try parser.nextEvent()
        if case .streamStart = event { (event, mark) = try parser.nextEvent() }
        guard case .documentStart = event else {
            throw fail(.start, "the file holds no YAML document; expected \(contents)")
        }
        let root = try readNode(parser: parser)
        (event, mark) = try parser.nextEvent()
        guard case .documentEnd = event else { throw fail(mark, "expected the end of the document") }
        (event, mark) = try parser.nextEvent()
        if case .documentStart = event {
            throw fail(mark, "a second document starts here; a \(documentName) file holds exactly one")
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
    private static func readNode(parser: LibYAMLParser) throws -> YAMLNode {
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
                    throw YAMLError(mark: mark, key: "yaml", problem: "alias '*\(name)' names no earlier anchor")
                }
                completed = YAMLNode(content: target.content, mark: mark)
            case .sequenceStart(let frameAnchor), .mappingStart(let frameAnchor):
                guard stack.count < maximumDepth else {
                    throw YAMLError(mark: mark, key: "yaml", problem: "nesting deeper than \(maximumDepth) levels")
                }
                var isMapping = false
                if case .mappingStart = event { isMapping = true }
                stack.append(Frame(mark: mark, anchor: frameAnchor, isMapping: isMapping))
                continue
            case .sequenceEnd, .mappingEnd:
                guard let frame = stack.popLast() else {
                    throw YAMLError(mark: mark, key: "yaml", problem: "unbalanced end of a collection")
                }
                completed = frame.node()
                anchor = frame.anchor
            case .streamStart, .streamEnd, .documentStart, .documentEnd:
                throw YAMLError(mark: mark, key: "yaml", problem: "unexpected document boundary")
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
