import CYAML

/// A YAML document read into plain values, each node keeping the line and column where it starts.
///
/// The lab reads small hand-written topology files, so the whole document is loaded with libyaml's document API
/// and copied into this tree; nothing of libyaml outlives `YAMLNode.parse`. Scalars stay text: the topology
/// reader decides what each one means.
indirect enum YAMLNode: Equatable {
    case scalar(String, Mark)
    case sequence([YAMLNode], Mark)
    case mapping([(key: YAMLNode, value: YAMLNode)], Mark)

    /// A 1-based position in the file.
    struct Mark: Equatable {
        var line: Int
        var column: Int
    }

    /// Why a document could not be read; the topology reader turns it into a located error.
    struct SyntaxError: Error, Equatable {
        var mark: Mark
        var problem: String
    }

    /// Where this node starts.
    var mark: Mark {
        switch self {
        case .scalar(_, let m), .sequence(_, let m), .mapping(_, let m): return m
        }
    }

    static func == (a: YAMLNode, b: YAMLNode) -> Bool {
        switch (a, b) {
        case let (.scalar(x, m), .scalar(y, n)): return x == y && m == n
        case let (.sequence(x, m), .sequence(y, n)): return x == y && m == n
        case let (.mapping(x, m), .mapping(y, n)):
            return m == n && x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Reads the single document in `text`; nil for an empty file.
    ///
    /// A second document (`---`) is refused: a topology is one document.
    /// The corresponding C calls are `yaml_parser_load` and `yaml_document_get_node`.
    static func parse(_ text: String) throws(SyntaxError) -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else {
            throw SyntaxError(mark: Mark(line: 1, column: 1), problem: "cannot initialize the YAML parser")
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(SyntaxError) -> YAMLNode? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            let first = try loadDocument(&parser)
            if first != nil, let extra = try loadDocument(&parser) {
                throw SyntaxError(mark: extra.mark, problem: "a topology is a single YAML document")
            }
            return first
        }
    }

    private static func loadDocument(_ parser: inout yaml_parser_t) throws(SyntaxError) -> YAMLNode? {
        var document = yaml_document_t()
        guard yaml_parser_load(&parser, &document) != 0 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
            let mark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            throw SyntaxError(mark: mark, problem: problem)
        }
        defer { yaml_document_delete(&document) }
        guard yaml_document_get_root_node(&document) != nil else { return nil }
        return convert(&document, index: 1)
    }

    /// Copies node `index` (1-based, as libyaml numbers them) and its children.
    private static func convert(_ document: inout yaml_document_t, index: Int32) -> YAMLNode {
        let node = yaml_document_get_node(&document, index)!.pointee
        let mark = Mark(line: Int(node.start_mark.line) + 1, column: Int(node.start_mark.column) + 1)
        switch node.type {
        case YAML_SEQUENCE_NODE:
            var items: [YAMLNode] = []
            var item = node.data.sequence.items.start
            while let current = item, current != node.data.sequence.items.top {
                items.append(convert(&document, index: current.pointee))
                item = current + 1
            }
            return .sequence(items, mark)
        case YAML_MAPPING_NODE:
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var pair = node.data.mapping.pairs.start
            while let current = pair, current != node.data.mapping.pairs.top {
                pairs.append((convert(&document, index: current.pointee.key),
                              convert(&document, index: current.pointee.value)))
                pair = current + 1
            }
            return .mapping(pairs, mark)
        default:
            let raw = UnsafeBufferPointer(start: node.data.scalar.value, count: Int(node.data.scalar.length))
            return .scalar(String(decoding: raw, as: UTF8.self), mark)
        }
    }
}
