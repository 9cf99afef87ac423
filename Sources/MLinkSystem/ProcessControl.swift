import CMLinkShims
import Glibc

/// Starting, watching and stopping processes: the core's detach from `mlink up`.
public enum ProcessControl {
    /// A pipe whose ends are owned descriptors.
    public static func makePipe() throws -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [0, 0]
        let rc = mlink_pipe_cloexec(&fds)
        guard rc == 0 else { throw SystemError("pipe2", errno: -rc) }
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

    /// True while a process with this pid exists. The corresponding C function is `kill(pid, 0)`.
    public static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Sends a signal; ignores a process that is already gone.
    public static func signal(_ pid: pid_t, _ signal: Int32) {
        _ = kill(pid, signal)
    }

    /// Reaps a child without blocking; true when it has exited.
    public static func reap(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }

    /// This process's pid.
    public static var currentPID: pid_t { getpid() }

    /// The path of the running executable (/proc/self/exe).
    public static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(cString: buffer) : CommandLine.arguments[0]
    }

    /// True when running as root (effective uid 0).
    public static var isRoot: Bool { geteuid() == 0 }

    /// Sleeps for a number of milliseconds.
    public static func sleep(milliseconds: Int) {
        usleep(useconds_t(milliseconds * 1000))
    }
}
