import Glibc

extension Files {
    /// Writes `contents` to `path` so that after a crash or power loss the file holds either the old or the new
    /// contents, complete: a temporary file in the same directory, `fsync`, `rename` over `path`, then `fsync`
    /// of the directory so the rename itself is on disk. Used where an answer depends on the file (leases).
    /// The corresponding C functions are `open`, `write`, `fsync` and `rename`.
    public static func writeDurably(_ contents: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp"
        let file = FileDescriptor(owning: try Syscall.run("open", temporary) {
            Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        })
        try file.writeAll(contents)
        _ = try Syscall.run("fchmod", temporary) { fchmod(file.rawValue, mode) }
        _ = try Syscall.run("fsync", temporary) { fsync(file.rawValue) }
        file.close()
        _ = try Syscall.run("rename", path) { rename(temporary, path) }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let folder = FileDescriptor(owning: try Syscall.run("open", directory) {
            Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        })
        _ = try Syscall.run("fsync", directory) { fsync(folder.rawValue) }
    }
}
