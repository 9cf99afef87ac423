import Glibc

/// Reading the profile and its key file, and checking who else may read them: the loader's only syscalls.
enum ProfileFile {
    /// Why a file could not be read; the description is what follows "cannot read PATH: ".
    enum ReadError: Error, CustomStringConvertible, Equatable {
        case system(errno: Int32)
        case tooLarge(limit: Int)

        var description: String {
            switch self {
            case .system(let code): return String(cString: strerror(code))
            case .tooLarge(let limit): return "larger than \(limit / 1024) KiB"
            }
        }
    }

    /// The whole file, refusing anything over `limit` bytes. The corresponding C calls are `open` and `read`.
    static func read(path: String, limit: Int) -> Result<[UInt8], ReadError> {
        let raw = open(path, O_RDONLY | O_CLOEXEC)
        guard raw >= 0 else { return .failure(.system(errno: errno)) }
        let descriptor = OwnedDescriptor(raw: raw)
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor.raw, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.system(errno: errno))
            }
            if count == 0 { return .success(contents) }
            contents.append(contentsOf: chunk[0..<count])
            if contents.count > limit { return .failure(.tooLarge(limit: limit)) }
        }
    }

    /// True when group or others have any access to the file; false also when it cannot be examined, since then
    /// reading it fails or happened through another path. The corresponding C call is `stat`.
    static func isExposed(path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & 0o077 != 0
    }

    /// A descriptor closed when the value goes away, so no early return can leak it.
    private struct OwnedDescriptor: ~Copyable {
        let raw: Int32
        deinit { close(raw) }
    }
}
