import ArgumentParser
import XCTest
@testable import MLinkCLI

/// The command line's shape: subcommands, options and the documented exit codes.
final class CommandLineTests: XCTestCase {
    func testUpParsesProfileAndForeground() throws {
        let command = try MLinkCommand.parseAsRoot(["up", "vm0", "--foreground"])
        let up = try XCTUnwrap(command as? MLinkCommand.Up)
        XCTAssertEqual(up.profile, "vm0")
        XCTAssertTrue(up.foreground)
    }

    func testUpDefaultsToBackground() throws {
        let up = try XCTUnwrap(try MLinkCommand.parseAsRoot(["up", "/etc/mlink/vm0.yaml"]) as? MLinkCommand.Up)
        XCTAssertFalse(up.foreground)
    }

    func testShowTakesOptionalNameAndJSON() throws {
        let all = try XCTUnwrap(try MLinkCommand.parseAsRoot(["show"]) as? MLinkCommand.Show)
        XCTAssertNil(all.name)
        XCTAssertFalse(all.json)
        let one = try XCTUnwrap(try MLinkCommand.parseAsRoot(["show", "ml-vm0", "--json"]) as? MLinkCommand.Show)
        XCTAssertEqual(one.name, "ml-vm0")
        XCTAssertTrue(one.json)
    }

    func testDownNeedsAName() {
        XCTAssertThrowsError(try MLinkCommand.parseAsRoot(["down"]))
    }

    func testKeyCommandsAreNamedLikeWG() throws {
        XCTAssertTrue(try MLinkCommand.parseAsRoot(["genkey"]) is MLinkCommand.GenKey)
        XCTAssertTrue(try MLinkCommand.parseAsRoot(["pubkey"]) is MLinkCommand.PubKey)
    }

    func testCheckNeedsAProfile() throws {
        XCTAssertThrowsError(try MLinkCommand.parseAsRoot(["check"]))
        XCTAssertTrue(try MLinkCommand.parseAsRoot(["check", "vm1"]) is MLinkCommand.Check)
    }

    func testUnknownSubcommandIsAUsageError() {
        XCTAssertThrowsError(try MLinkCommand.parseAsRoot(["upp", "vm0"])) { error in
            XCTAssertEqual(MLinkCommand.exitCode(for: error).rawValue, 64)
        }
    }

    func testHiddenCoreCommandTakesDescriptors() throws {
        let core = try XCTUnwrap(try MLinkCommand.parseAsRoot(
            ["_core", "--profile", "/p.yaml", "--interface", "ml-vm0", "--tun-fd", "5", "--ready-fd", "6"]) as? MLinkCommand.Core)
        XCTAssertEqual(core.tunFD, 5)
        XCTAssertEqual(core.readyFD, 6)
    }

    func testDocumentedExitCodes() {
        XCTAssertEqual(ExitStatus.usage, 64)
        XCTAssertEqual(ExitStatus.notRunning, 69)
        XCTAssertEqual(ExitStatus.systemError, 71)
        XCTAssertEqual(ExitStatus.needsRoot, 77)
        XCTAssertEqual(ExitStatus.badProfile, 78)
    }

    func testSizesPrintLikeWG() {
        XCTAssertEqual(StatusText.bytes(512), "512 B")
        XCTAssertEqual(StatusText.bytes(1536), "1.50 KiB")
        XCTAssertEqual(StatusText.bytes(3 * 1024 * 1024), "3.00 MiB")
        XCTAssertEqual(StatusText.ago(63), "1 minute, 3 seconds ago")
    }
}
