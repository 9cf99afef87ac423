import Glibc
import XCTest

@testable import MLinkSystem

/// Ownership and would-block on real descriptors (pipes need no privileges).
final class FileDescriptorTests: XCTestCase {
    /// True when `number` is an open descriptor; false when fcntl says EBADF.
    private func isOpen(_ number: Int32) -> Bool {
        if fcntl(number, F_GETFD) >= 0 { return true }
        XCTAssertEqual(errno, EBADF)
        return false
    }

    func testDeinitClosesTheDescriptor() throws {
        var pipe: (read: FileDescriptor, write: FileDescriptor)? = try ProcessControl.makePipe()
        let numbers = (pipe!.read.rawValue, pipe!.write.rawValue)
        XCTAssertTrue(isOpen(numbers.0))
        XCTAssertTrue(isOpen(numbers.1))
        pipe = nil
        XCTAssertFalse(isOpen(numbers.0), "read end still open after its owner went away")
        XCTAssertFalse(isOpen(numbers.1), "write end still open after its owner went away")
    }

    func testCloseIsIdempotentAndForgetsTheNumber() throws {
        let pipe = try ProcessControl.makePipe()
        let number = pipe.read.rawValue
        pipe.read.close()
        XCTAssertEqual(pipe.read.rawValue, -1)
        XCTAssertFalse(isOpen(number))
        pipe.read.close()
        XCTAssertEqual(pipe.read.rawValue, -1)
    }

    func testReleaseHandsOwnershipToTheCaller() throws {
        var released: Int32 = -1
        do {
            let pipe = try ProcessControl.makePipe()
            released = pipe.read.release()
            XCTAssertEqual(pipe.read.rawValue, -1)
        }
        XCTAssertTrue(isOpen(released), "a released descriptor must survive its former owner")
        close(released)
    }

    func testNonBlockingReadReturnsWouldBlockThenDataThenEndOfFile() throws {
        let pipe = try ProcessControl.makePipe()
        try pipe.read.setNonBlocking(true)
        var buffer = [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try pipe.read.read(into: $0) }, .wouldBlock)
        let bytes: [UInt8] = [1, 2, 3]
        XCTAssertEqual(try bytes.withUnsafeBytes { try pipe.write.write($0) }, .processed(3))
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try pipe.read.read(into: $0) }, .processed(3))
        XCTAssertEqual(Array(buffer[0..<3]), [1, 2, 3])
        pipe.write.close()
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try pipe.read.read(into: $0) }, .processed(0))
    }

    func testOptionalFormsReturnNilWhenTheyWouldBlock() throws {
        let pipe = try ProcessControl.makePipe()
        try pipe.read.setNonBlocking(true)
        try pipe.write.setNonBlocking(true)
        var byte: UInt8 = 0
        XCTAssertNil(try pipe.read.read(into: &byte, count: 1))
        let chunk = [UInt8](repeating: 7, count: 65536)
        var accepted = 0
        while let n = try chunk.withUnsafeBytes({ try pipe.write.write($0.baseAddress!, count: $0.count) }) {
            accepted += n
            XCTAssertLessThan(accepted, 64 << 20, "a pipe buffer is never this large: write never reported would-block")
        }
        XCTAssertGreaterThan(accepted, 0)
        XCTAssertEqual(try pipe.read.read(into: &byte, count: 1), 1)
        XCTAssertEqual(byte, 7)
    }

    func testReadingANumberThatIsNotOpenThrowsBadFileDescriptor() {
        let stale = FileDescriptor(owning: 1_000_000)  // far above any open number; closing it at deinit is harmless
        var byte: UInt8 = 0
        XCTAssertThrowsError(try stale.read(into: &byte, count: 1)) { error in
            XCTAssertEqual(error as? SystemError, SystemError("read", "", .badFileDescriptor))
        }
    }

    func testCloseOnExecFlagIsSetAndCleared() throws {
        let pipe = try ProcessControl.makePipe()
        XCTAssertNotEqual(fcntl(pipe.read.rawValue, F_GETFD) & FD_CLOEXEC, 0, "makePipe opens with O_CLOEXEC")
        try pipe.read.setCloseOnExec(false)
        XCTAssertEqual(fcntl(pipe.read.rawValue, F_GETFD) & FD_CLOEXEC, 0)
    }

    func testNetlinkSocketWithNothingQueuedWouldBlock() throws {
        let socket = try NetlinkSocketDescriptor(protocol: 0 /* NETLINK_ROUTE */, groups: 0, nonBlocking: true)
        XCTAssertNotEqual(socket.portID, 0, "the kernel assigns a port id at bind")
        var buffer = [UInt8](repeating: 0, count: 8192)
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }, .wouldBlock)
    }
}
