import Glibc

/// Small file helpers for state and run directories (never on the data path).
public enum Files {
    /// Writes `contents` to `path` atomically (temporary file + rename), with `mode`.
    public static func writeAtomically(_ contents: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SystemError("open", temporary, errno: errno) }
        let owned = FileDescriptor(owning: fd)
        try owned.writeAll(contents)
        owned.close()
        guard rename(temporary, path) == 0 else { throw SystemError("rename", path, errno: errno) }
    }

    /// Reads a whole file, or nil when it does not exist.
    public static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw SystemError("open", path, errno: errno)
        }
        return try FileDescriptor(owning: fd).readAll()
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Creates a directory (and parents) with `mode` if missing.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, mode) != 0 && errno != EEXIST {
                throw SystemError("mkdir", partial, errno: errno)
            }
        }
    }

    /// Names of the entries of a directory (empty when it does not exist).
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The value of an environment variable.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
