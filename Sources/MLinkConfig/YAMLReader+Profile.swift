import MLinkYAML

extension YAMLReader {
    /// The single document of a profile, or a `ProfileError` that names the file, line and column.
    static func readDocument(bytes: [UInt8], file: String) throws -> YAMLNode {
        do {
            return try readDocument(bytes: bytes, documentName: "profile", contents: "a mapping of profile keys")
        } catch {
            throw ProfileError(file: file, mark: error.mark, key: error.key, problem: error.problem)
        }
    }
}
