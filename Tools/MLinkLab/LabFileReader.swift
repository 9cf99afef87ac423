import MLinkSystem
import MLinkYAML

/// Reads the lab's YAML files (topologies, scenarios, time scripts) through MLinkYAML, the profile loader's
/// reader, and words every complaint as `FILE:LINE:COL: key: problem` with the dotted key path.
///
/// Keys are strict wherever a reader passes the keys it knows: an unknown key is an error, so that a typo
/// does not silently build a different lab or run a different benchmark.
struct LabFileReader {
    /// The file as the user named it; only used in messages.
    let file: String

    /// Larger files are refused unread: a lab file is a few kilobytes.
    static let maximumFileSize = 1 << 20

    /// The one document of the file at `path`; `documentName` and `contents` word the errors about a missing
    /// or second document (see `YAMLReader.readDocument`).
    static func readDocument(path: String, documentName: String, contents: String) throws(LabError) -> YAMLNode {
        let bytes: [UInt8]?
        do {
            bytes = try Files.read(path)
        } catch {
            throw .file(operation: "reading", path: path, reason: (error as? SystemError)?.reason ?? "\(error)")
        }
        guard let bytes else { throw .file(operation: "reading", path: path, reason: "no such file") }
        guard bytes.count <= maximumFileSize else {
            throw .file(operation: "reading", path: path, reason: "larger than \(maximumFileSize) bytes")
        }
        return try LabFileReader(file: path).document(bytes: bytes, documentName: documentName, contents: contents)
    }

    /// The one document in `bytes`, errors labelled with this reader's file name.
    func document(bytes: [UInt8], documentName: String, contents: String) throws(LabError) -> YAMLNode {
        do {
            return try YAMLReader.readDocument(bytes: bytes, documentName: documentName, contents: contents)
        } catch {
            throw self.error(at: error.mark, error.key, error.problem)
        }
    }

    func error(at mark: YAMLMark, _ key: String, _ problem: String) -> LabError {
        .located(file: file, line: mark.line, column: mark.column, key: key, problem: problem)
    }

    func error(at node: YAMLNode, _ key: String, _ problem: String) -> LabError {
        error(at: node.mark, key, problem)
    }

    /// The path of `key` below `path`; the document's root has the empty path.
    static func childPath(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The pairs of a mapping, refusing duplicate keys, non-scalar keys and (when `keys` is given) unknown ones.
    /// `path` names the mapping in errors about its own shape; the root's errors name `what` instead.
    func mapping(_ node: YAMLNode, _ path: String, keys: [String]?,
                 what: String? = nil) throws(LabError) -> [YAMLNode.Entry] {
        guard let entries = node.mappingEntries else {
            let expected = keys.map { "a mapping of " + $0.joined(separator: ", ") } ?? "a mapping"
            throw error(at: node, path.isEmpty ? (what ?? "document") : path, "expected \(expected)")
        }
        var seen: Set<String> = []
        for entry in entries {
            let key = try scalar(entry.key, path.isEmpty ? (what ?? "document") : path)
            let keyPath = Self.childPath(path, key)
            guard seen.insert(key).inserted else { throw error(at: entry.key, keyPath, "duplicate key") }
            if let keys, !keys.contains(key) {
                throw error(at: entry.key, keyPath, "unknown key (expected \(keys.joined(separator: ", ")))")
            }
        }
        return entries
    }

    /// The value of `key`, or an error at `parent` (the mapping that should hold it).
    func required(_ entries: [YAMLNode.Entry], _ key: String, in parent: YAMLNode,
                  path: String) throws(LabError) -> YAMLNode {
        guard let value = entries.value(for: key) else { throw error(at: parent, path, "is required") }
        return value
    }

    /// The text of a scalar.
    func scalar(_ node: YAMLNode, _ path: String) throws(LabError) -> String {
        guard let text = node.scalarText else {
            throw error(at: node, path, "expected a single value")
        }
        return text
    }

    /// The items of a sequence; `expected` says what the items should be.
    func sequence(_ node: YAMLNode, _ path: String, expected: String) throws(LabError) -> [YAMLNode] {
        guard let items = node.sequenceItems else {
            throw error(at: node, path, "expected \(expected)")
        }
        return items
    }
}
