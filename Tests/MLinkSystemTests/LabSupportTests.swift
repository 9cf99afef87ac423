import Foundation
import Glibc
import XCTest
@testable import MLinkSystem

/// The MLinkSystem types the lab and its link emulator stand on: timers, packet sockets, mappings, file
/// locks and children run to completion. No root needed.
final class LabSupportTests: XCTestCase {
    func testATimerArmedAtAnAbsoluteTimeFiresOnceThenIsQuiet() throws {
        let timer = try TimerDescriptor()
        let epoll = try Epoll(capacity: 4)
        try epoll.add(timer.descriptor.rawValue, token: 7)
        XCTAssertEqual(try timer.acknowledge(), 0, "a disarmed timer has not fired")
        let start = MonotonicClock.now()
        try timer.arm(at: start + 20_000_000)
        var tokens: [UInt64] = []
        while tokens.isEmpty && MonotonicClock.now() < start + 2_000_000_000 {
            try epoll.wait(timeoutMilliseconds: 100) { tokens.append($0) }
        }
        let fired = MonotonicClock.now()
        XCTAssertEqual(tokens, [7])
        XCTAssertGreaterThanOrEqual(fired, start + 20_000_000, "fired before its time")
        XCTAssertEqual(try timer.acknowledge(), 1)
        XCTAssertEqual(try timer.acknowledge(), 0, "acknowledged: no longer readable")
        try timer.arm(at: MonotonicClock.now() + 10_000_000)
        try timer.disarm()
        ProcessControl.sleep(milliseconds: 30)
        XCTAssertEqual(try timer.acknowledge(), 0, "a disarmed timer does not fire")
    }

    func testTheTimerClosesItsDescriptorWhenReleased() throws {
        var timer: TimerDescriptor? = try TimerDescriptor()
        let fd = timer!.descriptor.rawValue
        XCTAssertNotEqual(fcntl(fd, F_GETFD), -1)
        timer = nil
        XCTAssertEqual(fcntl(fd, F_GETFD), -1, "the timerfd outlived its owner")
    }

    func testAPacketSocketOnAMissingInterfaceNamesIt() {
        XCTAssertThrowsError(try PacketSocket(interface: "mlnoif0", receiveBufferBytes: 1 << 16)) { error in
            let systemError = error as? SystemError
            XCTAssertEqual(systemError?.subject, "mlnoif0")
            XCTAssertEqual(systemError?.errno, ENODEV, "\(error)")
        }
    }

    func testAnonymousMemoryIsZeroedAndWritableToTheLastByte() throws {
        let memory = try AnonymousMemory(byteCount: 64 << 20)
        let bytes = memory.baseAddress.assumingMemoryBound(to: UInt8.self)
        XCTAssertEqual(bytes[memory.byteCount - 1], 0)
        bytes[memory.byteCount - 1] = 0xA5
        XCTAssertEqual(bytes[memory.byteCount - 1], 0xA5)
    }

    func testAFileLockExcludesOthersUntilReleased() throws {
        let path = NSTemporaryDirectory() + "mlink-lock-\(getpid())"
        defer { unlink(path) }
        let candidates: [String] = ["/usr/bin/flock", "/bin/flock"]
        guard let flock = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw XCTSkip("needs flock(1)")
        }
        var lock: FileLock? = try FileLock(path: path)
        XCTAssertNotNil(lock)
        let held = try ProcessControl.run(path: flock, arguments: ["-n", path, "true"], captureOutput: true)
        XCTAssertEqual(held.status, 1, "another process took a held lock: \(held.output)")
        lock = nil
        let free = try ProcessControl.run(path: flock, arguments: ["-n", path, "true"], captureOutput: true)
        XCTAssertEqual(free.status, 0, "the lock outlived its owner: \(free.output)")
    }

    func testRunCapturesBothStreamsAndReportsTheExitStatus() throws {
        let result = try ProcessControl.run(path: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 3"],
                                            captureOutput: true)
        XCTAssertEqual(result, ProcessControl.ChildResult(status: 3, output: "out\nerr\n"))
        let killed = try ProcessControl.run(path: "/bin/sh", arguments: ["-c", "kill -TERM $$"], captureOutput: true)
        XCTAssertEqual(killed.status, 128 + SIGTERM)
    }

    func testAChildStartsWithTheSignalsWeBlockUnblocked() throws {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGHUP)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        // SigBlk in /proc/self/status is the child's blocked mask; SIGHUP is bit 0.
        let result = try ProcessControl.run(path: "/bin/sh", arguments: ["-c", "grep SigBlk /proc/self/status"],
                                            captureOutput: true)
        let mask = result.output.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(mask.flatMap { UInt64($0, radix: 16) }.map { $0 & 1 }, 0, result.output)
    }

    func testExitStatusIfExitedWaitsForNothingAndReapsOnce() throws {
        let log = NSTemporaryDirectory() + "mlink-child-\(getpid()).log"
        defer { unlink(log) }
        let pid = try ProcessControl.spawnDetached(path: "/bin/sh", arguments: ["-c", "sleep 0.2; exit 5"],
                                                   inherit: [], logPath: log)
        XCTAssertNil(ProcessControl.exitStatusIfExited(pid), "still sleeping")
        XCTAssertEqual(try ProcessControl.waitForExit(pid), 5)
        XCTAssertThrowsError(try ProcessControl.waitForExit(pid), "reaped twice")
    }

    func testReplaceProcessReturnsTheReasonWhenItCannotExec() {
        let failure = ProcessControl.replaceProcess(path: "/nonexistent/mlink-nothing", arguments: ["x"])
        XCTAssertEqual(failure.errno, ENOENT)
        XCTAssertEqual(failure.subject, "/nonexistent/mlink-nothing")
    }
}
