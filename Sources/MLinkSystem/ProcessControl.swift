import CMLinkShims
import Glibc

/// Starting, watching and stopping processes: the core's detach from `mlink up`.
public enum ProcessControl {
    /// A pipe whose ends are owned descriptors.
    public static func makePipe() throws -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [0, 0]
        _ = try Syscall.run("pipe2") { mlink_pipe_cloexec(&fds) == 0 ? 0 : -1 }
        return (FileDescriptor(owning: fds[0]), FileDescriptor(owning: fds[1]))
    }

    /// Starts `path` with `arguments` in a new session, its stdin from /dev/null and stdout/stderr appended to
    /// `logPath`; descriptors in `inherit` stay open in the child under the same numbers (all others close on
    /// exec). Returns the child's pid. The corresponding C function is `posix_spawn`.
    public static func spawnDetached(path: String, arguments: [String], inherit: [Int32], logPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for fd in inherit {
            // dup2 onto itself clears FD_CLOEXEC in the child (glibc >= 2.29 semantics documented in posix_spawn).
            posix_spawn_file_actions_adddup2(&actions, fd, fd)
        }
        return try spawn(path: path, arguments: arguments, actions: &actions, newSession: true)
    }

    /// True while a process with this pid exists and has not exited. A zombie (exited, not yet reaped) counts
    /// as gone: a detached core is the child of whoever adopted it, and a container's init may reap it a second
    /// or more later (never, without one), which made `down` wait that long for a core that had stopped in
    /// 20 ms. The corresponding C functions are `kill(pid, 0)` and `read` of /proc/PID/stat.
    public static func isAlive(_ pid: pid_t) -> Bool {
        do {
            _ = try Syscall.run("kill") { kill(pid, 0) }
        } catch {
            return error.code == .notPermitted  // it exists, but belongs to someone else
        }
        guard let stat = try? Files.read("/proc/\(pid)/stat", limit: 4096) else { return true }
        return !hasExited(stat: stat)
    }

    /// Whether a /proc/PID/stat line says the process has exited: its state, the field after the command's
    /// closing parenthesis (the command may itself hold spaces and parentheses), is Z (zombie) or X (dead).
    public static func hasExited(stat: [UInt8]) -> Bool {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count,
              stat[close + 1] == UInt8(ascii: " ") else { return false }
        let state = stat[close + 2]
        return state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")
    }

    /// Sends a signal; ignores a process that is already gone. The corresponding C function is `kill`.
    public static func signal(_ pid: pid_t, _ signal: Int32) {
        _ = try? Syscall.retrying("kill") { kill(pid, signal) }
    }

    /// Reaps a child without blocking; true when it has exited. The corresponding C function is `waitpid`.
    public static func reap(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return (try? Syscall.retrying("waitpid") { waitpid(pid, &status, WNOHANG) }) == .processed(pid)
    }

    /// This process's pid.
    public static var currentPID: pid_t { getpid() }

    /// The path of the running executable (/proc/self/exe). The corresponding C function is `readlink`.
    public static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let capacity = buffer.count - 1
        guard case .processed(let n)? = try? Syscall.retrying("readlink", { readlink("/proc/self/exe", &buffer, capacity) }),
              n > 0 else { return CommandLine.arguments[0] }
        return String(cString: buffer)
    }

    /// True when running as root (effective uid 0).
    public static var isRoot: Bool { geteuid() == 0 }

    /// Sleeps for a number of milliseconds, the whole time even when a signal interrupts it (the retry carries
    /// on with the time that was left). The corresponding C function is `nanosleep`.
    public static func sleep(milliseconds: Int) {
        var remaining = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        _ = try? Syscall.retrying("nanosleep") {
            var request = remaining
            return nanosleep(&request, &remaining)
        }
    }
}

/// Signal numbers for `ProcessControl.signal(_:_:)` and `SignalDescriptor.next()`, so callers need no libc.
public enum ProcessSignal {
    /// SIGTERM: asks a process to stop cleanly.
    public static let terminate: Int32 = SIGTERM
    /// SIGINT: Ctrl-C.
    public static let interrupt: Int32 = SIGINT
    /// SIGHUP: the terminal went away.
    public static let hangUp: Int32 = SIGHUP
    /// SIGKILL: stops a process at once; it cannot be caught.
    public static let kill: Int32 = SIGKILL
}
