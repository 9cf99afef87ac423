import XCTest
import MLinkYAML

/// The shared reader on its own: marks, scalar styles, order and duplicates kept, aliases, the depth cap and the
/// document errors. The profile loader's golden files (MLinkConfigTests) check it through the loader.
final class YAMLReaderTests: XCTestCase {
    private func read(_ text: String) throws(YAMLError) -> YAMLNode {
        try YAMLReader.readDocument(bytes: Array(text.utf8), documentName: "test", contents: "a mapping")
    }

    private func error(_ text: String) -> YAMLError? {
        do throws(YAMLError) {
            _ = try read(text)
            return nil
        } catch {
            return error
        }
    }

    func testNodesKeepTheirLineAndColumnInCharacters() throws {
        let root = try read("a: 1\nbé: {c: [x, \"y\"]}\n")
        let entries = try XCTUnwrap(root.mappingEntries)
        XCTAssertEqual(root.mark, YAMLMark(line: 1, column: 1))
        XCTAssertEqual(entries.map { $0.key.scalarText }, ["a", "bé"])
        XCTAssertEqual(entries[1].key.mark, YAMLMark(line: 2, column: 1))
        XCTAssertEqual(entries[1].value.mark, YAMLMark(line: 2, column: 5), "é is one column, not two bytes")
        let list = try XCTUnwrap(entries[1].value.mappingEntries?.value(for: "c")?.sequenceItems)
        XCTAssertEqual(list.map(\.mark), [YAMLMark(line: 2, column: 10), YAMLMark(line: 2, column: 13)])
    }

    func testQuotedScalarsAreNotPlainAndNullFormsAreRecognised() throws {
        let entries = try XCTUnwrap(try read("a: 7\nb: \"7\"\nc:\nd: ~\ne: 'null'\n").mappingEntries)
        guard case .scalar("7", isPlain: true) = entries[0].value.content else { return XCTFail("a: plain 7") }
        guard case .scalar("7", isPlain: false) = entries[1].value.content else { return XCTFail("b: quoted 7") }
        XCTAssertEqual(entries.map(\.value.isNull), [false, false, true, true, false])
        XCTAssertEqual(entries[1].value.foundDescription, "a quoted string '7'")
        XCTAssertEqual(entries[2].value.foundDescription, "nothing")
    }

    func testDuplicateKeysSurviveInDocumentOrder() throws {
        let entries = try XCTUnwrap(try read("k: 1\nk: 2\n").mappingEntries)
        XCTAssertEqual(entries.map { $0.value.scalarText }, ["1", "2"])
        XCTAssertEqual(entries.value(for: "k")?.scalarText, "1", "the first one wins a lookup")
    }

    func testAliasesCopyTheAnchoredNodeAtTheAliasMark() throws {
        let entries = try XCTUnwrap(try read("a: &x [1, 2]\nb: *x\n").mappingEntries)
        XCTAssertEqual(entries[1].value.sequenceItems?.compactMap(\.scalarText), ["1", "2"])
        XCTAssertEqual(entries[1].value.mark, YAMLMark(line: 2, column: 4))
        XCTAssertEqual(error("b: *nowhere\n")?.description, "1:4: yaml: alias '*nowhere' names no earlier anchor")
    }

    func testNestingPastTheCapIsRefusedWhereItStarts() {
        let deep = String(repeating: "[", count: YAMLReader.maximumDepth + 1)
            + String(repeating: "]", count: YAMLReader.maximumDepth + 1)
        XCTAssertEqual(error(deep), YAMLError(mark: YAMLMark(line: 1, column: YAMLReader.maximumDepth + 1), key: "yaml",
                                              problem: "nesting deeper than \(YAMLReader.maximumDepth) levels"))
        let allowed = String(repeating: "[", count: YAMLReader.maximumDepth)
            + String(repeating: "]", count: YAMLReader.maximumDepth)
        XCTAssertNil(error(allowed))
    }

    func testDocumentErrorsUseTheCallersWords() {
        XCTAssertEqual(error("")?.description, "1:1: document: the file holds no YAML document; expected a mapping")
        XCTAssertEqual(error("a: 1\n---\nb: 2\n")?.description,
                       "2:1: document: a second document starts here; a test file holds exactly one")
        XCTAssertEqual(error("a: [1\n")?.key, "yaml")
    }

    func testInvalidUTF8IsReportedWhereItIs() {
        let bytes: [UInt8] = Array("a: 1\nb: ".utf8) + [0xFF] + Array("\n".utf8)
        do throws(YAMLError) {
            _ = try YAMLReader.readDocument(bytes: bytes, documentName: "test", contents: "a mapping")
            XCTFail("invalid UTF-8 was read")
        } catch {
            XCTAssertEqual(error.mark, YAMLMark(line: 2, column: 4))
            XCTAssertEqual(error.key, "yaml")
        }
    }
}
