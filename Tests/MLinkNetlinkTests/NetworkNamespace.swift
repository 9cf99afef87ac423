import Foundation
import Glibc
import XCTest

/// A throwaway network namespace that the calling thread enters for one test, and always leaves and deletes.
///
/// XCTest runs a test's body, setUp and tearDown on one thread, and `setns` moves only that thread, so
/// `RouteNetlink` sockets opened inside `run` belong to the namespace while the rest of the process stays
/// put. Shell commands use `ip -n NAME`, so they never depend on which namespace the spawning thread is in.
final class NetworkNamespace {
    let name: String

    private init(name: String) {
        self.name = name
    }

    /// Creates `mlnl-test-<pid>-<n>`, enters it, runs `body`, then returns the thread to its original
    /// namespace and deletes the new one, whatever `body` does. Skips the test when not root or when
    /// namespaces are unavailable.
    static func run(_ body: (NetworkNamespace) throws -> Void) throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root and network namespaces") }
        counter += 1
        let namespace = NetworkNamespace(name: "mlnl-test-\(getpid())-\(counter)")
        guard (try? NetworkNamespace.shell(["ip", "netns", "add", namespace.name])) != nil else {
            throw XCTSkip("needs root and network namespaces")
        }
        defer { _ = try? NetworkNamespace.shell(["ip", "netns", "delete", namespace.name]) }
        let original = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw XCTSkip("cannot open /proc/self/ns/net") }
        defer { close(original) }
        let target = open("/var/run/netns/\(namespace.name)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw XCTSkip("cannot open the namespace \(namespace.name)") }
        let entered = NetworkNamespace.enterNamespace(target)
        close(target)
        guard entered == 0 else { throw XCTSkip("setns failed: \(String(cString: strerror(errno)))") }
        defer {
            if NetworkNamespace.enterNamespace(original) != 0 {
                fatalError("cannot return to the original network namespace; later tests would run inside it")
            }
        }
        try body(namespace)
    }

    private static var counter = 0

    /// `setns(fd, CLONE_NEWNET)`. Glibc's Swift module does not export setns (it is a _GNU_SOURCE call), so
    /// it is looked up in the already loaded libc.
    private static func enterNamespace(_ descriptor: Int32) -> Int32 {
        typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
        let cloneNewNet: Int32 = 0x4000_0000
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { return -1 }
        return unsafeBitCast(symbol, to: SetNamespace.self)(descriptor, cloneNewNet)
    }

    /// Runs `ip -n NAME ARGS...` and returns its standard output; throws with its standard error on failure.
    @discardableResult
    func ip(_ arguments: String...) throws -> String {
        try NetworkNamespace.shell(["ip", "-n", name] + arguments)
    }

    /// Runs `ip -j -n NAME ARGS...` and parses the JSON array it prints.
    func ipJSON(_ arguments: String...) throws -> [[String: Any]] {
        let output = try NetworkNamespace.shell(["ip", "-j", "-n", name] + arguments)
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        let value = try JSONSerialization.jsonObject(with: Data(trimmed.utf8))
        return try XCTUnwrap(value as? [[String: Any]], "not a JSON array: \(trimmed)")
    }

    struct CommandFailed: Error, CustomStringConvertible {
        var command: [String]
        var status: Int32
        var standardError: String
        var description: String { "\(command.joined(separator: " ")) exited \(status): \(standardError)" }
    }

    @discardableResult
    static func shell(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = Array(command.dropFirst())
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(command: command, status: process.terminationStatus,
                                standardError: String(decoding: errorData, as: UTF8.self))
        }
        return String(decoding: outputData, as: UTF8.self)
    }
}
