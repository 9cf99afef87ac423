import MLinkSystem

/// Reading the profile and its key file, and checking who else may read them: the loader's only contact with
/// the file system, through MLinkSystem's `Files`.
enum ProfileFile {
    /// Why a file could not be read; the description is what follows "cannot read PATH: ".
    enum ReadError: Error, CustomStringConvertible, Equatable {
        case system(errno: Int32)
        case tooLarge(limit: Int)

        var description: String {
            switch self {
            case .system(let code): return Errno(rawValue: code).description
            case .tooLarge(let limit): return "larger than \(limit / 1024) KiB"
            }
        }
    }

    /// The whole file, refusing anything over `limit` bytes. The corresponding C calls are `open` and `read`.
    static func read(path: String, limit: Int) -> Result<[UInt8], ReadError> {
        do {
            return .success(try Files.read(path, limit: limit))
        } catch {
            switch error {
            case .system(let failure): return .failure(.system(errno: failure.errno))
            case .tooLarge(let limit): return .failure(.tooLarge(limit: limit))
            }
        }
    }

    /// True when group or others have any access to the file; false also when it cannot be examined, since then
    /// reading it fails or happened through another path. The corresponding C call is `stat`.
    static func isExposed(path: String) -> Bool {
        guard let permissions = Files.permissions(of: path) else { return false }
        return permissions & 0o077 != 0
    }
}
