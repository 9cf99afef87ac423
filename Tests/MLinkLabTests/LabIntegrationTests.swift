import Foundation
import XCTest
@testable import MLinkLab
import MLinkSystem

/// The seed lab on the real kernel through the command line: root only (skipped otherwise).
///
/// Only pings addresses inside the namespaces it creates, and deletes them whatever happens.
final class LabIntegrationTests: XCTestCase {
    private var labName = ""
    private var stateRoot = ""
    private let hosts = ["vm0", "vm1", "vm2"]

    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "namespace tests need root")
        try XCTSkipUnless(findExecutable("ip") != nil && findExecutable("nft") != nil, "needs ip and nft")
        labName = "mlt\(getpid() % 100_000)"
        stateRoot = try makeTemporaryDirectory()
        setenv("MLINK_LAB_DIR", stateRoot, 1)
    }

    override func tearDownWithError() throws {
        guard !labName.isEmpty else { return }
        // A test that failed half-way: stop any mlink it started, then make sure the namespaces are gone.
        _ = try? Lab.live().down(labName)
        for host in hosts where FileManager.default.fileExists(atPath: "/run/netns/\(labName)-\(host)") {
            _ = try? shell(["ip", "netns", "del", "\(labName)-\(host)"])
        }
        unsetenv("MLINK_LAB_DIR")
        try? FileManager.default.removeItem(atPath: stateRoot)
    }

    func testSeedLab() throws {
        try lab("up", Repository.url("examples/lab/seed.yaml").path, "--name", labName, "--no-start")

        let expected: [(String, String, String)] = [
            ("vm0", "enp0s3", "192.168.0.2/24"), ("vm0", "enp0s8", "192.168.1.2/24"),
            ("vm1", "enp0s3", "192.168.0.3/24"), ("vm1", "enp0s8", "192.168.1.3/24"),
            ("vm1", "enp0s9", "192.168.2.3/24"), ("vm1", "enp0s10", "192.168.3.3/24"),
            ("vm2", "enp0s3", "192.168.2.2/24"), ("vm2", "enp0s8", "192.168.3.2/24"),
        ]
        for (host, interface, address) in expected {
            let output = try shell(["ip", "-n", "\(labName)-\(host)", "-o", "addr", "show", "dev", interface])
            XCTAssertTrue(output.contains("inet \(address)"), "\(host) \(interface): \(output)")
            XCTAssertTrue(isUp(host, interface), "\(host) \(interface) is up")
        }
        for host in hosts {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(stateRoot)/\(labName)/\(host).yaml"))
        }

        XCTAssertTrue(ping(from: "vm0", "192.168.0.3"), "net0 works")
        try lab("cut", "net0", "--lab", labName)
        XCTAssertFalse(ping(from: "vm0", "192.168.0.3"), "net0 is cut")
        XCTAssertTrue(isUp("vm0", "enp0s3") && isUp("vm1", "enp0s3"), "a cut keeps carrier")
        XCTAssertTrue(ping(from: "vm0", "192.168.1.3"), "net1 is untouched")
        try lab("restore", "net0", "--lab", labName)
        XCTAssertTrue(ping(from: "vm0", "192.168.0.3"), "net0 restored")

        try lab("loss", "net1", "100", "--lab", labName)
        XCTAssertFalse(ping(from: "vm0", "192.168.1.3"), "net1 drops everything")
        try lab("loss", "net1", "0", "--lab", labName)
        XCTAssertTrue(ping(from: "vm0", "192.168.1.3"), "net1 restored")

        try lab("down", labName)
        for host in hosts {
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/run/netns/\(labName)-\(host)"), host)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(stateRoot)/\(labName)"))
        try lab("down", labName)
    }

    /// With a working mlink (MLINK_BIN set): the tunnel carries vm0 -> vm2 and survives a cut of net0.
    func testSeedLabWithMlink() throws {
        let mlink = ProcessInfo.processInfo.environment["MLINK_BIN"] ?? ""
        try XCTSkipIf(mlink.isEmpty, "set MLINK_BIN to an mlink binary to run mlink in the lab")
        try lab("up", Repository.url("examples/lab/seed.yaml").path, "--name", labName)
        XCTAssertTrue(ping(from: "vm0", "10.77.0.20"), "vm0 reaches vm2 through the router")
        try lab("cut", "net0", "--lab", labName)
        try lab("loss", "net3", "50", "--lab", labName)
        XCTAssertTrue(ping(from: "vm0", "10.77.0.20"), "still, over net1 and net2")
        let pids = hosts.flatMap { Lab.mlinkPids(in: "\(stateRoot)/\(labName)/run/\($0)").map(\.1) }
        XCTAssertEqual(pids.count, 3)
        try lab("down", labName)
        // A stopped core may stay a zombie until the init that adopted it reaps it: exited is stopped.
        for pid in pids { XCTAssertFalse(ProcessControl.isAlive(pid), "mlink pid \(pid) still runs") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(stateRoot)/\(labName)"))
    }

    private func lab(_ arguments: String...) throws {
        var command = try LabCommand.parseAsRoot(arguments)
        try command.run()
    }

    private func isUp(_ host: String, _ interface: String) -> Bool {
        let output = (try? shell(["ip", "-n", "\(labName)-\(host)", "link", "show", interface])) ?? ""
        return output.contains(",UP,LOWER_UP>") && output.contains("state UP")
    }

    private func ping(from host: String, _ address: String) -> Bool {
        (try? shell(["ip", "netns", "exec", "\(labName)-\(host)", "ping", "-c", "2", "-i", "0.2", "-W", "1", address])) != nil
    }

    @discardableResult
    private func shell(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: findExecutable(arguments[0])!)
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LabError.command(shellQuoted(arguments), status: process.terminationStatus, output: output)
        }
        return output
    }
}
