import Glibc

/// Small file helpers for profiles, key files, state and run directories (never on the data path).
public enum Files {
    /// Why `read(_:limit:)` gave up.
    public enum ReadError: Error, Equatable {
        /// A call failed: the file is missing, a directory, unreadable, ...
        case system(SystemError)
        /// The file holds more than `limit` bytes.
        case tooLarge(limit: Int)
    }

    /// Writes `contents` to `path` atomically (temporary file + rename), with `mode`.
    /// The corresponding C functions are `open`, `write` and `rename`.
    public static func writeAtomically(_ contents: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp"
        let owned = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: mode)
        try owned.writeAll(contents)
        owned.close()
        _ = try Syscall.run("rename", path) { rename(temporary, path) }
    }

    /// Reads a whole file, or nil when it does not exist. The corresponding C functions are `open` and `read`.
    public static func read(_ path: String) throws -> [UInt8]? {
        do {
            return try open(path, O_RDONLY | O_CLOEXEC).readAll()
        } catch let error as SystemError where error.call == "open" && error.code == .noSuchFileOrDirectory {
            return nil
        }
    }

    /// Reads a whole file of at most `limit` bytes; a longer one is refused rather than read to its end, so a
    /// wrong path (a device, a huge log) cannot exhaust memory. The corresponding C functions are `open` and
    /// `read`.
    public static func read(_ path: String, limit: Int) throws(ReadError) -> [UInt8] {
        let contents: [UInt8]
        do {
            contents = try open(path, O_RDONLY | O_CLOEXEC).readAll(limit: limit + 1)
        } catch let error as SystemError {
            throw .system(error)
        } catch {
            preconditionFailure("FileDescriptor.readAll throws only SystemError, not \(error)")
        }
        guard contents.count <= limit else { throw .tooLarge(limit: limit) }
        return contents
    }

    /// The permission bits of a file (`0o640`, without the file type), or nil when it cannot be examined.
    /// The corresponding C function is `stat`.
    public static func permissions(of path: String) -> UInt32? {
        var info = stat()
        guard (try? Syscall.retrying("stat") { stat(path, &info) }) != nil else { return nil }
        return UInt32(info.st_mode) & 0o7777
    }

    /// Removes a file; a missing file is not an error. The corresponding C function is `unlink`.
    public static func remove(_ path: String) {
        _ = try? Syscall.retrying("unlink") { unlink(path) }
    }

    /// Creates a directory (and parents) with `mode` if missing. The corresponding C function is `mkdir`.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            try makeOneDirectory(partial, mode: mode)
        }
    }

    /// Creates one directory; one that exists already is not an error. The corresponding C function is `mkdir`.
    private static func makeOneDirectory(_ path: String, mode: mode_t) throws(SystemError) {
        do {
            _ = try Syscall.retrying("mkdir") { mkdir(path, mode) }
        } catch {
            guard error == .fileExists else { throw SystemError("mkdir", path, error) }
        }
    }

    /// Names of the entries of a directory (empty when it does not exist).
    /// The corresponding C functions are `opendir` and `readdir`.
    public static func list(_ path: String) -> [String] {
        guard let dir = try? Syscall.run("opendir", path, pointer: { opendir(path) }) else { return [] }
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

    /// The whole process environment, by name. The corresponding C variable is `environ`.
    public static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            cursor += 1
        }
        return result
    }

    /// The value of an environment variable.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Opens `path` into an owned descriptor. The corresponding C function is `open`.
    private static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(SystemError) -> FileDescriptor {
        FileDescriptor(owning: try Syscall.run("open", path) { Glibc.open(path, flags, mode) })
    }
}
