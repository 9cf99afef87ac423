import MLinkYAML

/// Why a profile was refused, pointing at the place to fix: `FILE:LINE:COLUMN: KEY: problem`.
///
/// One error per load: the first problem found stops validation, so the message never describes a state that
/// an earlier mistake caused. Line and column are 1-based; both are 0 when the problem concerns the whole
/// file (it could not be read). For a missing key they point at the mapping that should hold it.
public struct ProfileError: Error, CustomStringConvertible, Equatable {
    /// The profile file as the caller named it.
    public let file: String
    /// 1-based line of the offending node, or 0 for the whole file.
    public let line: Int
    /// 1-based column (in characters) of the offending node, or 0 for the whole file.
    public let column: Int
    /// Dotted path of the offending key, such as `router.endpoints[1]` or `peers[0].public-key`; `yaml` for
    /// syntax errors, `document` for the document's shape, `file` when the file could not be read.
    public let key: String
    /// What is wrong, in words a user can act on.
    public let problem: String

    /// An error at an explicit position; tools other than the loader use it to report in the same shape.
    public init(file: String, line: Int, column: Int, key: String, problem: String) {
        self.file = file; self.line = line; self.column = column; self.key = key; self.problem = problem
    }

    init(file: String, mark: YAMLMark, key: String, problem: String) {
        self.init(file: file, line: mark.line, column: mark.column, key: key, problem: problem)
    }

    /// The one-line form editors and compilers use, so that `FILE:LINE:COLUMN` is clickable.
    public var description: String { "\(file):\(line):\(column): \(key): \(problem)" }
}
