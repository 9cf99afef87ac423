import Glibc
import XCTest

@testable import MLinkSystem

/// The limited whole-file read and the permission check the profile loader relies on.
final class FilesTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/mlink-files-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemError("mkdtemp", errno: errno) }
        folder = String(cString: made)
    }

    override func tearDown() {
        for name in Files.list(folder) { Files.remove("\(folder)/\(name)") }
        rmdir(folder)
    }

    func testReadWithinTheLimitReturnsTheContents() throws {
        try Files.writeAtomically(Array("0123456789".utf8), to: "\(folder)/ten")
        XCTAssertEqual(try Files.read("\(folder)/ten", limit: 10), Array("0123456789".utf8))
    }

    func testReadOverTheLimitIsRefused() throws {
        try Files.writeAtomically(Array("0123456789".utf8), to: "\(folder)/ten")
        XCTAssertThrowsError(try Files.read("\(folder)/ten", limit: 9)) { error in
            XCTAssertEqual(error as? Files.ReadError, .tooLarge(limit: 9))
        }
    }

    func testMissingFileAndDirectoryAreSystemErrorsWithTheirErrno() {
        XCTAssertThrowsError(try Files.read("\(folder)/missing", limit: 10)) { error in
            XCTAssertEqual(error as? Files.ReadError, .system(SystemError("open", "\(folder)/missing", .noSuchFileOrDirectory)))
        }
        XCTAssertThrowsError(try Files.read(folder, limit: 10)) { error in
            guard case .system(let failure)? = error as? Files.ReadError else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.code, .isDirectory)
        }
        XCTAssertNil(try Files.read("\(folder)/missing"))
    }

    func testPermissionsAreTheModeBits() throws {
        try Files.writeAtomically([1], to: "\(folder)/key", mode: 0o600)
        XCTAssertEqual(Files.permissions(of: "\(folder)/key"), 0o600)
        XCTAssertEqual(chmod("\(folder)/key", 0o640), 0)
        XCTAssertEqual(Files.permissions(of: "\(folder)/key"), 0o640)
        XCTAssertNil(Files.permissions(of: "\(folder)/missing"))
    }

    func testMakeDirectoryToleratesExistingParents() throws {
        try Files.makeDirectory("\(folder)/a/b")
        try Files.makeDirectory("\(folder)/a/b")
        XCTAssertEqual(Files.list("\(folder)/a"), ["b"])
        rmdir("\(folder)/a/b")
        rmdir("\(folder)/a")
    }
}
