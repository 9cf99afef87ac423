import Glibc
import XCTest

@testable import MLinkSystem

/// Swift names for errno values, and their one wording.
final class ErrnoTests: XCTestCase {
    func testNamesStandForTheirErrnoValues() {
        let expected: [(Errno, Int32)] = [
            (.notPermitted, EPERM), (.noSuchFileOrDirectory, ENOENT), (.noSuchProcess, ESRCH), (.interrupted, EINTR),
            (.ioError, EIO), (.badFileDescriptor, EBADF), (.wouldBlock, EWOULDBLOCK), (.wouldBlock, EAGAIN),
            (.permissionDenied, EACCES), (.badAddress, EFAULT), (.fileExists, EEXIST), (.noSuchDevice, ENODEV),
            (.isDirectory, EISDIR), (.invalidArgument, EINVAL), (.noSpace, ENOSPC), (.fileNameTooLong, ENAMETOOLONG),
            (.badMessage, EBADMSG), (.notSupported, EOPNOTSUPP), (.addressInUse, EADDRINUSE),
            (.networkUnreachable, ENETUNREACH), (.noBufferSpace, ENOBUFS), (.connectionRefused, ECONNREFUSED),
            (.noRouteToHost, EHOSTUNREACH),
        ]
        for (name, value) in expected {
            XCTAssertEqual(name.rawValue, value, "\(name)")
        }
    }

    func testDescriptionIsStrerrorsText() {
        XCTAssertEqual(Errno.noSuchFileOrDirectory.description, "No such file or directory")
        XCTAssertEqual(Errno.fileExists.description, "File exists")
        XCTAssertEqual(Errno.isDirectory.description, "Is a directory")
        XCTAssertEqual(Errno(rawValue: ENETUNREACH).description, "Network is unreachable")
    }

    func testSystemErrorWordsItsErrnoThroughErrno() {
        let error = SystemError("open", "/etc/mlink/vm0.yaml", .permissionDenied)
        XCTAssertEqual(error.errno, EACCES)
        XCTAssertEqual(error.code, .permissionDenied)
        XCTAssertEqual(error.description, "open /etc/mlink/vm0.yaml: Permission denied")
        XCTAssertEqual(SystemError("epoll_create1", errno: EMFILE).description, "epoll_create1: Too many open files")
    }

    func testCurrentReadsTheThreadsErrno() {
        errno = EPERM
        XCTAssertEqual(Errno.current, .notPermitted)
        errno = ENODEV
        XCTAssertEqual(Errno.current, .noSuchDevice)
    }
}
