import Glibc
import XCTest
@testable import MLinkSystem

final class ProcessControlTests: XCTestCase {
    func testTheStateFieldIsReadAfterTheCommandsLastParenthesis() {
        let line = { (s: String) in Array(s.utf8) }
        XCTAssertTrue(ProcessControl.hasExited(stat: line("4242 (mlink) Z 1 4242 4242 0 -1 4194560\n")))
        XCTAssertTrue(ProcessControl.hasExited(stat: line("4242 (mlink) X 1 4242\n")))
        XCTAssertFalse(ProcessControl.hasExited(stat: line("4242 (mlink) S 1 4242 4242 0 -1 4194560\n")))
        XCTAssertFalse(ProcessControl.hasExited(stat: line("4242 (mlink) R 1\n")))
        // A command may hold spaces and parentheses: only the last ")" ends it.
        XCTAssertFalse(ProcessControl.hasExited(stat: line("7 (a) Z (b) S 1 7\n")))
        XCTAssertTrue(ProcessControl.hasExited(stat: line("7 (x) S) Z 1 7\n")))
        // Truncated or odd lines say nothing: the process is taken as alive.
        XCTAssertFalse(ProcessControl.hasExited(stat: line("7 (mlink)")))
        XCTAssertFalse(ProcessControl.hasExited(stat: line("7 (mlink) ")))
        XCTAssertFalse(ProcessControl.hasExited(stat: []))
    }

    /// An exited child that nobody reaped yet is a zombie: `kill(pid, 0)` still succeeds, `isAlive` says gone.
    func testAnExitedUnreapedChildIsNotAlive() throws {
        let log = "/tmp/mlink-process-test-\(getpid()).log"
        defer { unlink(log) }
        let pid = try ProcessControl.spawnDetached(path: "/bin/sleep", arguments: ["0.2"], inherit: [], logPath: log)
        XCTAssertTrue(ProcessControl.isAlive(pid), "a sleeping child is alive")
        var waited = 0
        while ProcessControl.isAlive(pid) && waited < 5000 {
            ProcessControl.sleep(milliseconds: 10)
            waited += 10
        }
        XCTAssertFalse(ProcessControl.isAlive(pid), "the child still counts as alive 5 s after its 0.2 s sleep")
        XCTAssertEqual(kill(pid, 0), 0, "the zombie still exists until it is reaped")
        XCTAssertTrue(ProcessControl.reap(pid))
        XCTAssertFalse(ProcessControl.isAlive(pid))
    }
}
