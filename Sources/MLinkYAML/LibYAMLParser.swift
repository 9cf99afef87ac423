import CYAML

/// One libyaml parser over an in-memory copy of the text; the only file in mlink that touches libyaml.
///
/// The parser state and the input live on the heap so that libyaml's pointers into them stay valid however
/// Swift moves this object's references around; `deinit` releases both.
final class LibYAMLParser {
    /// A parse event with everything the tree builder needs, copied out of libyaml's memory.
    enum Event {
        case streamStart, streamEnd, documentStart, documentEnd
        case alias(anchor: String)
        case scalar(String, isPlain: Bool, anchor: String?)
        case sequenceStart(anchor: String?)
        case sequenceEnd
        case mappingStart(anchor: String?)
        case mappingEnd
    }

    /// libyaml's own description of a syntax error and where it found it.
    struct SyntaxError: Error {
        var problem: String
        var mark: YAMLMark
    }

    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let inputCount: Int
    private var finished = false

    /// A parser over a private copy of `bytes`. The corresponding C calls are `yaml_parser_initialize` and
    /// `yaml_parser_set_input_string`.
    init(bytes: [UInt8]) throws {
        input = .allocate(capacity: max(bytes.count, 1))
        input.initialize(repeating: 0)
        _ = input.initialize(from: bytes)
        inputCount = bytes.count
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) != 0 else {
            parser.deallocate()
            input.deallocate()
            throw SyntaxError(problem: "libyaml could not allocate its parser", mark: .start)
        }
        yaml_parser_set_input_string(parser, input.baseAddress, inputCount)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    /// The next event and the mark where it starts. The corresponding C call is `yaml_parser_parse`.
    func nextEvent() throws -> (Event, YAMLMark) {
        var event = yaml_event_t()
        guard !finished, yaml_parser_parse(parser, &event) != 0 else { throw currentError() }
        defer { yaml_event_delete(&event) }
        let mark = YAMLMark(line: event.start_mark.line + 1, column: event.start_mark.column + 1)
        switch event.type {
        case YAML_STREAM_START_EVENT: return (.streamStart, mark)
        case YAML_STREAM_END_EVENT:
            finished = true
            return (.streamEnd, mark)
        case YAML_DOCUMENT_START_EVENT: return (.documentStart, mark)
        case YAML_DOCUMENT_END_EVENT: return (.documentEnd, mark)
        case YAML_ALIAS_EVENT: return (.alias(anchor: Self.string(event.data.alias.anchor) ?? ""), mark)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar.tag == nil
            return (.scalar(text, isPlain: isPlain, anchor: Self.string(scalar.anchor)), mark)
        case YAML_SEQUENCE_START_EVENT:
            return (.sequenceStart(anchor: Self.string(event.data.sequence_start.anchor)), mark)
        case YAML_SEQUENCE_END_EVENT: return (.sequenceEnd, mark)
        case YAML_MAPPING_START_EVENT:
            return (.mappingStart(anchor: Self.string(event.data.mapping_start.anchor)), mark)
        case YAML_MAPPING_END_EVENT: return (.mappingEnd, mark)
        default:
            throw SyntaxError(problem: "libyaml returned an unknown event", mark: mark)
        }
    }

    /// libyaml's problem text, its context when it has one, and the best mark for it.
    ///
    /// Reader errors (bad UTF-8, control characters) carry a byte offset instead of a mark, so the mark is
    /// recomputed from the input.
    private func currentError() -> SyntaxError {
        let state = parser.pointee
        if finished { return SyntaxError(problem: "read past the end of the stream", mark: .start) }
        var problem = state.problem.map { String(cString: $0) } ?? "unknown YAML error"
        if state.error == YAML_MEMORY_ERROR { problem = "libyaml ran out of memory" }
        if state.error == YAML_READER_ERROR {
            if state.problem_value != -1 {
                problem += " (#x" + String(state.problem_value, radix: 16, uppercase: true) + ")"
            }
            return SyntaxError(problem: problem, mark: mark(atByteOffset: state.problem_offset))
        }
        if let context = state.context.map({ String(cString: $0) }) {
            problem += " (\(context) at line \(state.context_mark.line + 1), column \(state.context_mark.column + 1))"
        }
        return SyntaxError(problem: problem,
                           mark: YAMLMark(line: state.problem_mark.line + 1, column: state.problem_mark.column + 1))
    }

    /// The line and column of a byte offset, counting UTF-8 lead bytes as characters.
    private func mark(atByteOffset offset: Int) -> YAMLMark {
        var mark = YAMLMark.start
        for byte in input.prefix(min(offset, inputCount)) {
            if byte == UInt8(ascii: "\n") {
                mark.line += 1
                mark.column = 1
            } else if byte & 0xC0 != 0x80 {
                mark.column += 1
            }
        }
        return mark
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }
}
