#if canImport(Glibc)
import Glibc
#endif

/// Runs one child process to completion with `posix_spawn` and `waitpid`.
///
/// Not Foundation's `Process`: that one learns of the child's exit through a descriptor the child inherits, so
/// `mlink up`, whose daemon outlives it, would look like it never returned. Here only stdin (/dev/null) and,
/// when capturing, one pipe for stdout+stderr are passed on; everything else we open is close-on-exec.
enum Subprocess {
    struct Result {
        /// The exit status, or 128 + the signal number.
        var status: Int32
        /// stdout and stderr, interleaved; empty unless captured.
        var output: String
    }

    /// Why a child could not be started.
    struct SpawnError: Error, CustomStringConvertible {
        var call: String
        var errno: Int32
        var description: String { "\(call): \(String(cString: strerror(errno)))" }
    }

    /// Runs `path` with `arguments` (argv[0] included); returns once it exited and, when capturing, once
    /// every holder of the pipe closed it.
    static func run(_ path: String, _ arguments: [String], captureOutput: Bool) throws(SpawnError) -> Result {
        var output: Pipe?
        if captureOutput { output = try Pipe() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output.writeEnd.raw, 1)
            posix_spawn_file_actions_adddup2(&actions, output.writeEnd.raw, 2)
        }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw SpawnError(call: "posix_spawn \(path)", errno: spawned) }

        var text = ""
        if let output {
            output.closeWriteEnd()
            text = output.readToEnd()
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SpawnError(call: "waitpid", errno: errno) }
        }
        let exited = status & 0x7f == 0
        return Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: text)
    }

    /// Starts `path` with `arguments` and returns at once: stdin /dev/null, stdout and stderr appended to `log`.
    /// The child is expected to leave our session itself (the relay calls `setsid`), so that a Ctrl-C on the
    /// terminal that ran `up` does not reach it; whoever started it reaps it or leaves it to init.
    static func spawnDetached(_ path: String, _ arguments: [String], log: String) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw SpawnError(call: "posix_spawn \(path)", errno: spawned) }
        return pid
    }

    /// A file descriptor closed when its owner goes away.
    final class Descriptor {
        let raw: Int32
        init(_ raw: Int32) { self.raw = raw }
        deinit { close(raw) }
    }

    /// A close-on-exec pipe; the child gets the write end only through `dup2`.
    final class Pipe {
        let readEnd: Descriptor
        private(set) var writeEnd: Descriptor!

        /// The corresponding C calls are `pipe` and `fcntl(F_SETFD, FD_CLOEXEC)` (Glibc hides `pipe2`; the lab
        /// spawns from one thread, so there is no window for another spawn to inherit the pipe).
        init() throws(SpawnError) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw SpawnError(call: "pipe", errno: errno) }
            readEnd = Descriptor(fds[0])
            writeEnd = Descriptor(fds[1])
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }

        /// Drops our copy of the write end so that reading ends when the child's copies close.
        func closeWriteEnd() { writeEnd = nil }

        /// Reads until end of file, retrying EINTR.
        func readToEnd() -> String {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(readEnd.raw, $0.baseAddress, $0.count) }
                if count > 0 { bytes += chunk[0..<count]; continue }
                if count < 0 && errno == EINTR { continue }
                return String(decoding: bytes, as: UTF8.self)
            }
        }
    }
}
