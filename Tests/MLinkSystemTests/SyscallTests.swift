import Foundation
import Glibc
import XCTest

@testable import MLinkSystem

/// The one syscall door: EINTR retried, would-block a value, everything else thrown with its errno.
///
/// The mocked calls below stand in for libc: each returns -1 and sets errno as the kernel would, and counts how
/// often `Syscall` called it.
final class SyscallTests: XCTestCase {
    /// A fake call that fails with the given errnos in turn, then returns `result`.
    private final class ScriptedCall {
        private var failures: [Int32]
        private let result: Int
        private(set) var calls = 0

        init(failing failures: [Int32], then result: Int) {
            self.failures = failures
            self.result = result
        }

        func callAsFunction() -> Int {
            calls += 1
            guard !failures.isEmpty else { return result }
            errno = failures.removeFirst()
            return -1
        }
    }

    func testInterruptedCallIsRetriedUntilItCompletes() throws {
        let call = ScriptedCall(failing: [EINTR, EINTR, EINTR], then: 7)
        XCTAssertEqual(try Syscall.retrying("read") { call() }, .processed(7))
        XCTAssertEqual(call.calls, 4)
    }

    func testWouldBlockComesBackAsAValueAfterOneCall() throws {
        let call = ScriptedCall(failing: [EAGAIN], then: 7)
        XCTAssertEqual(try Syscall.retrying("read") { call() }, .wouldBlock)
        XCTAssertEqual(call.calls, 1)
    }

    func testInterruptionThenWouldBlockIsWouldBlock() throws {
        let call = ScriptedCall(failing: [EINTR, EWOULDBLOCK], then: 7)
        XCTAssertEqual(try Syscall.retrying("recvmsg") { call() }, .wouldBlock)
        XCTAssertEqual(call.calls, 2)
    }

    func testOtherErrorsAreThrownAsErrnoWithoutRetrying() {
        let call = ScriptedCall(failing: [EINVAL], then: 7)
        XCTAssertThrowsError(try Syscall.retrying("bind") { call() }) { error in
            XCTAssertEqual(error as? Errno, .invalidArgument)
        }
        XCTAssertEqual(call.calls, 1)
    }

    func testNegatedErrnoShapeOfTheCShimsIsRetriedAndDecoded() throws {
        var results: [Int32] = [-EINTR, -EINTR, 3]
        var calls = 0
        XCTAssertEqual(try Syscall.retryingNegatedErrno("recvmmsg") { () -> Int32 in
            calls += 1
            return results.removeFirst()
        }, .processed(3))
        XCTAssertEqual(calls, 3)
        XCTAssertEqual(try Syscall.retryingNegatedErrno("recvmmsg") { -EAGAIN }, .wouldBlock)
        XCTAssertThrowsError(try Syscall.retryingNegatedErrno("recvmmsg") { -ENOBUFS }) { error in
            XCTAssertEqual(error as? Errno, .noBufferSpace)
        }
    }

    func testRunNamesTheCallAndSubjectInTheSystemError() {
        let call = ScriptedCall(failing: [EINTR, EADDRINUSE], then: 0)
        XCTAssertThrowsError(try Syscall.run("bind", "tcp 127.0.0.1:9100") { call() }) { error in
            let failure = error as? SystemError
            XCTAssertEqual(failure, SystemError("bind", "tcp 127.0.0.1:9100", .addressInUse))
            XCTAssertEqual(failure?.description, "bind tcp 127.0.0.1:9100: Address already in use")
        }
        XCTAssertEqual(call.calls, 2)
    }

    func testRunTreatsWouldBlockAsAnError() {
        let call = ScriptedCall(failing: [EAGAIN], then: 0)
        XCTAssertThrowsError(try Syscall.run("read", "control socket") { call() }) { error in
            XCTAssertEqual((error as? SystemError)?.code, .wouldBlock)
        }
    }

    func testPointerCallsAreRetriedOnInterruption() throws {
        var calls = 0
        let marker = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { marker.deallocate() }
        let result = try Syscall.run("opendir", "/x", pointer: { () -> UnsafeMutableRawPointer? in
            calls += 1
            if calls < 3 { errno = EINTR; return nil }
            return marker
        })
        XCTAssertEqual(result, marker)
        XCTAssertEqual(calls, 3)
        XCTAssertThrowsError(try Syscall.run("opendir", "/x", pointer: { () -> UnsafeMutableRawPointer? in
            errno = ENOENT
            return nil
        })) { error in
            XCTAssertEqual(error as? SystemError, SystemError("opendir", "/x", .noSuchFileOrDirectory))
        }
    }

    func testCallsThatReturnTheirErrorAreNotReadFromErrno() {
        errno = 0
        XCTAssertThrowsError(try Syscall.runReturningError("posix_spawn", "/bin/x") { ENOEXEC }) { error in
            XCTAssertEqual((error as? SystemError)?.errno, ENOEXEC)
        }
        XCTAssertNoThrow(try Syscall.runReturningError("pthread_sigmask") { 0 })
    }

    func testLegacyNegatedResultKeepsItsShape() {
        let interrupted = ScriptedCall(failing: [EINTR], then: 5)
        XCTAssertEqual(retryingInterrupts { interrupted() }, 5)
        let blocked = ScriptedCall(failing: [EAGAIN], then: 5)
        XCTAssertEqual(retryingInterrupts { blocked() }, -Int(EAGAIN))
        let refused = ScriptedCall(failing: [ECONNREFUSED], then: 5)
        XCTAssertEqual(retryingInterrupts { refused() }, -Int(ECONNREFUSED))
    }
}

/// How many SIGUSR1s the test handler has seen (written from the handler, read after the thread joined).
nonisolated(unsafe) private var signalsHandled: Int32 = 0

/// A real interruption: a thread blocked in read(2) on an empty pipe gets SIGUSR1 from a handler installed
/// without SA_RESTART, so the kernel fails the read with EINTR instead of restarting it.
final class InterruptedReadTests: XCTestCase {
    func testBlockingPipeReadSurvivesASignalWithoutSARestart() throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in signalsHandled += 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: the interrupted read returns EINTR
        var previous = sigaction()
        XCTAssertEqual(sigaction(SIGUSR1, &action, &previous), 0)
        defer { sigaction(SIGUSR1, &previous, nil) }
        signalsHandled = 0

        let pipe = try ProcessControl.makePipe()
        let readEnd = pipe.read.rawValue
        let started = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var reader = pthread_t()
        nonisolated(unsafe) var attempts = 0
        nonisolated(unsafe) var outcome: Result<IOResult<Int>, Errno>?
        let thread = Thread {
            reader = pthread_self()
            started.signal()
            var byte: UInt8 = 0
            outcome = Result { () throws(Errno) in
                try Syscall.retrying("read") { () -> Int in
                    attempts += 1
                    return Glibc.read(readEnd, &byte, 1)
                }
            }
            finished.signal()
        }
        thread.start()
        started.wait()
        for _ in 0..<3 {
            usleep(30_000)  // long enough for the reader to be asleep in read(2)
            XCTAssertEqual(pthread_kill(reader, SIGUSR1), 0)
        }
        usleep(30_000)
        XCTAssertNil(outcome, "the read must still be waiting: the signals were retried, not returned")
        let byte = [UInt8(ascii: "x")]
        XCTAssertEqual(try byte.withUnsafeBytes { try pipe.write.write($0) }, .processed(1))
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
        XCTAssertGreaterThan(signalsHandled, 0)
        XCTAssertGreaterThan(attempts, 1, "read(2) failed with EINTR at least once and was called again")
        XCTAssertEqual(try outcome?.get(), .processed(1))
    }
}
