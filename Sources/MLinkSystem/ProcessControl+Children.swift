import CMLinkShims
import Glibc

extension ProcessControl {
    /// How a child that ran to completion ended, and what it printed.
    public struct ChildResult: Equatable, Sendable {
        /// The exit status, or 128 + the signal number that killed it (as shells report it).
        public var status: Int32
        /// stdout and stderr interleaved, when captured; empty otherwise.
        public var output: String
    }

    /// Runs `path` with `arguments` (argv[0] is `path`) to completion, stdin from /dev/null; with
    /// `captureOutput` its stdout and stderr go to one pipe whose text is returned, else to ours.
    ///
    /// Returns once the child exited and, when capturing, once every holder of the pipe closed it. The child
    /// starts with the default disposition and an empty mask for the signals we handle, whatever we did with
    /// them. The corresponding C functions are `posix_spawn` and `waitpid`.
    public static func run(path: String, arguments: [String], captureOutput: Bool) throws -> ChildResult {
        var output: (read: FileDescriptor, write: FileDescriptor)?
        if captureOutput { output = try makePipe() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output.write.rawValue, 1)
            posix_spawn_file_actions_adddup2(&actions, output.write.rawValue, 2)
        }
        let pid = try spawn(path: path, arguments: arguments, actions: &actions, newSession: false)
        var text = ""
        if let output {
            output.write.close()  // reading ends when the child's copies close
            text = String(decoding: try output.read.readAll(limit: 16 << 20), as: UTF8.self)
        }
        return ChildResult(status: try waitForExit(pid), output: text)
    }

    /// Waits for child `pid` to exit and reaps it: its exit status, or 128 + the signal that killed it.
    /// The corresponding C function is `waitpid`.
    public static func waitForExit(_ pid: pid_t) throws -> Int32 {
        var status: Int32 = 0
        let rc = retryingInterrupts { waitpid(pid, &status, 0) }
        guard rc == pid else { throw SystemError("waitpid", "\(pid)", errno: rc < 0 ? -rc : ECHILD) }
        return exitStatus(status)
    }

    /// The exit status of child `pid` if it has exited (and reaps it), nil while it runs.
    /// The corresponding C function is `waitpid(WNOHANG)`.
    public static func exitStatusIfExited(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return retryingInterrupts { waitpid(pid, &status, WNOHANG) } == pid ? exitStatus(status) : nil
    }

    /// Leaves the caller's session and process group, so that a Ctrl-C on the terminal that started us does
    /// not reach us (a process started in the background that must outlive its starter). Fails harmlessly
    /// when we already lead a session. The corresponding C function is `setsid`.
    public static func startNewSession() {
        _ = setsid()
    }

    /// Replaces this process with `path` run with `arguments` (argv[0] is `path`); returns only on failure,
    /// with the reason. The corresponding C function is `execv`.
    public static func replaceProcess(path: String, arguments: [String]) -> SystemError {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        execv(path, argv)
        return SystemError("execv", path, errno: errno)
    }

    /// Starts a child with `actions`, the signal set-up described at `run` and, with `newSession`, in a
    /// session of its own (see `spawnDetached`).
    static func spawn(path: String, arguments: [String], actions: inout posix_spawn_file_actions_t,
                              newSession: Bool) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for number in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaultSignals, number) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        let session = newSession ? mlink_spawn_setsid_flag() : 0
        posix_spawnattr_setflags(&attributes, Int16(session | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        try Syscall.runReturningError("posix_spawn", path) { posix_spawn(&pid, path, &actions, &attributes, argv, environ) }
        return pid
    }

    /// A `waitpid` status as shells report it.
    private static func exitStatus(_ status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
