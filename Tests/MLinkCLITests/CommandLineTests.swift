import ArgumentParser
import MLinkConfig
import MLinkProtocol
import MLinkSetup
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

    /// The real mapping from errors to stderr text and exit status, fed the errors the commands really throw.
    func testBadProfileExits78WithTheLoadersLocatedMessageUnprefixed() throws {
        let error = try XCTUnwrap(captured { try ProfileLoader.parse(text: "name: vm0\nrole: hots\n", path: "/p/vm0.yaml",
                                                                       directory: "/p") })
        let report = FailureReport(error)
        XCTAssertEqual(report.status, 78)
        XCTAssertTrue(report.message.hasPrefix("/p/vm0.yaml:2:"), report.message)
        XCTAssertTrue(report.message.contains("role"), report.message)
    }

    func testNotRunningExits69AndOtherSetUpFailuresExit71() {
        XCTAssertEqual(FailureReport(SetupError.notRunning("vm0")),
                       FailureReport(message: "mlink: vm0 is not running (no state under the run directory)", status: 69))
        XCTAssertEqual(FailureReport(SetupError.interfaceExists("ml-vm0")),
                       FailureReport(message: "mlink: interface ml-vm0 already exists", status: 71))
        XCTAssertEqual(FailureReport(SetupError.alreadyRunning("ml-vm0")).status, 71)
        XCTAssertEqual(FailureReport(SetupError.stateUnreadable(path: "/run/mlink/x.state", reason: "bad")).status, 71)
    }

    func testAnyOtherErrorIsASystemErrorNamingItself() {
        struct Unexpected: Error, CustomStringConvertible { var description: String { "open: denied (/dev/net/tun)" } }
        XCTAssertEqual(FailureReport(Unexpected()), FailureReport(message: "mlink: open: denied (/dev/net/tun)", status: 71))
        XCTAssertEqual(FailureReport(KeyPair.Failure.notABase64Key(length: 3)).status, 71)
    }

    /// The help text documents the exit codes; each one it names must be the code that case really exits with.
    func testTheHelpTextListsTheStatusesTheMappingGives() {
        let help = MLinkCommand.configuration.discussion
        XCTAssertTrue(help.contains("\(FailureReport(SetupError.notRunning("x")).status) not running"), help)
        XCTAssertTrue(help.contains("\(FailureReport(SetupError.coreFailed("x")).status) system error"), help)
        XCTAssertTrue(help.contains("\(FailureReport(ProfileError(file: "f", line: 1, column: 1, key: "k", problem: "p")).status) bad profile"), help)
        XCTAssertTrue(help.contains("\(ExitStatus.needsRoot) needs root"), help)
        XCTAssertThrowsError(try MLinkCommand.parseAsRoot(["upp"])) { error in
            XCTAssertTrue(help.contains("\(MLinkCommand.exitCode(for: error).rawValue) usage error"), help)
        }
    }

    private func captured(_ body: () throws -> Any) -> Error? {
        do { _ = try body(); return nil } catch { return error }
    }

    func testSizesPrintLikeWG() {
        XCTAssertEqual(StatusText.bytes(512), "512 B")
        XCTAssertEqual(StatusText.bytes(1536), "1.50 KiB")
        XCTAssertEqual(StatusText.bytes(3 * 1024 * 1024), "3.00 MiB")
        XCTAssertEqual(StatusText.ago(63), "1 minute, 3 seconds ago")
    }
}
