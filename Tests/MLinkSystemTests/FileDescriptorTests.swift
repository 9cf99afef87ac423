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

    /// An RTM_GETLINK dump request (struct nlmsghdr + struct ifinfomsg, host byte order), built by hand so this
    /// test needs no codec: 16-byte header, then a zeroed 16-byte ifinfomsg.
    private func linkDumpRequest(sequence: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(32), toByteOffset: 0, as: UInt32.self)  // nlmsg_len
            raw.storeBytes(of: UInt16(18), toByteOffset: 4, as: UInt16.self)  // RTM_GETLINK
            raw.storeBytes(of: UInt16(0x0301), toByteOffset: 6, as: UInt16.self)  // NLM_F_REQUEST | NLM_F_DUMP
            raw.storeBytes(of: sequence, toByteOffset: 8, as: UInt32.self)
        }
        return bytes
    }

    func testNetlinkReplyComesBackFromTheKernel() throws {
        let socket = try NetlinkSocketDescriptor(protocol: 0 /* NETLINK_ROUTE */, groups: 0, nonBlocking: false)
        let request = linkDumpRequest(sequence: 41)
        XCTAssertEqual(try request.withUnsafeBytes { try socket.send($0) }, .processed(32))
        var buffer = [UInt8](repeating: 0, count: 32768)
        guard case .processed(let count) = try buffer.withUnsafeMutableBytes({ try socket.receive(into: $0) }) else {
            return XCTFail("a blocking socket does not report would-block")
        }
        XCTAssertGreaterThanOrEqual(count, 16, "at least one netlink header (loopback at least exists)")
        let sequence = buffer.withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt32.self) }
        XCTAssertEqual(sequence, 41, "the reply answers our request")
    }

    func testNetlinkDatagramLargerThanTheBufferIsNoSpace() throws {
        let socket = try NetlinkSocketDescriptor(protocol: 0 /* NETLINK_ROUTE */, groups: 0, nonBlocking: false)
        let request = linkDumpRequest(sequence: 42)
        _ = try request.withUnsafeBytes { try socket.send($0) }
        var tiny = [UInt8](repeating: 0, count: 16)  // one header; a link message is always longer
        XCTAssertThrowsError(try tiny.withUnsafeMutableBytes { try socket.receive(into: $0) }) { error in
            XCTAssertEqual(error as? SystemError, SystemError("recvmsg", "AF_NETLINK", .noSpace))
        }
    }

    func testNetlinkSocketWithNothingQueuedWouldBlock() throws {
        let socket = try NetlinkSocketDescriptor(protocol: 0 /* NETLINK_ROUTE */, groups: 0, nonBlocking: true)
        XCTAssertNotEqual(socket.portID, 0, "the kernel assigns a port id at bind")
        var buffer = [UInt8](repeating: 0, count: 8192)
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }, .wouldBlock)
    }
}
