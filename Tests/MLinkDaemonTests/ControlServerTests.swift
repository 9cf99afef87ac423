import Glibc
import MLinkControl
import MLinkSystem
import MLinkTypes
import XCTest
@testable import MLinkDaemon

/// The control socket's client machine over real Unix sockets (no root): silent clients, floods, big answers.
final class ControlServerTests: XCTestCase {
    var path = ""
    var server: ControlServer!
    var epoll: Epoll!
    static let listenerToken: UInt64 = 2, workerToken: UInt64 = 3

    override func setUpWithError() throws {
        path = "/tmp/mlink-control-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        server = try ControlServer(path: path, tokenBase: 200)
        epoll = try Epoll()
        try epoll.add(server.listener.descriptor.rawValue, token: ControlServerTests.listenerToken)
        try epoll.add(server.worker.ready.descriptor.rawValue, token: ControlServerTests.workerToken)
    }

    override func tearDown() {
        server = nil
        unlink(path)
    }

    /// One turn of the event loop; returns the longest time one handler took (ns).
    @discardableResult
    func turn(answer: @escaping (ControlRequest) -> StreamClients.Answer = { _ in .now(Array("answer\n".utf8)) }) throws -> UInt64 {
        var longest: UInt64 = 0
        try epoll.wait(timeoutMilliseconds: 5) { token in
            let start = MonotonicClock.now()
            if token == ControlServerTests.listenerToken {
                server.clients.acceptClients(epoll: epoll, now: start)
            } else if token == ControlServerTests.workerToken {
                server.worker.collect(epoll: epoll)
            } else {
                server.serve(token: token, epoll: epoll, answer: answer)
            }
            longest = max(longest, MonotonicClock.now() - start)
        }
        return longest
    }

    /// Reads what is there without waiting; nil at end of file.
    func readAvailable(_ fd: FileDescriptor, into out: inout [UInt8]) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0.baseAddress!, count: $0.count) }
            guard let n else { return true }
            if n == 0 { return false }
            out += chunk[0..<n]
        }
    }

    func testASilentClientNeitherBlocksTheLoopNorOthersAndExpires() throws {
        let silent = try UnixSocket.connect(path: path)
        try turn()
        XCTAssertEqual(server.clients.connectedCount, 1)
        let client = try UnixSocket.connect(path: path)
        try client.setNonBlocking(true)
        _ = try Array("show\n".utf8).withUnsafeBytes { try client.write($0.baseAddress!, count: $0.count) }
        var answer: [UInt8] = []
        var open = true
        var longest: UInt64 = 0
        for _ in 0..<100 where open {
            longest = max(longest, try turn())
            open = try readAvailable(client, into: &answer)
        }
        XCTAssertFalse(open, "the answered client was not closed")
        XCTAssertEqual(String(decoding: answer, as: UTF8.self), "answer\n")
        XCTAssertLessThan(longest, 2_000_000, "a handler held the loop for \(longest) ns")
        XCTAssertEqual(server.clients.connectedCount, 1, "the silent client is still waiting")
        server.clients.expire(now: MonotonicClock.now() + ControlServer.limits.timeout + 1, epoll: epoll)
        XCTAssertEqual(server.clients.connectedCount, 0)
        XCTAssertEqual(server.clients.clientsExpired, 1)
        try silent.setNonBlocking(true)
        var rest: [UInt8] = []
        XCTAssertFalse(try readAvailable(silent, into: &rest), "the expired client sees end of file")
    }

    func testAFloodIsBoundedAndLaterClientsAreServed() throws {
        let flood = try (0..<24).map { _ in try UnixSocket.connect(path: path) }
        for _ in 0..<4 { try turn() }
        XCTAssertEqual(server.clients.connectedCount, ControlServer.limits.maximumClients)
        XCTAssertEqual(server.clients.clientsRefused, UInt64(flood.count - ControlServer.limits.maximumClients))
        server.clients.expire(now: MonotonicClock.now() + ControlServer.limits.timeout + 1, epoll: epoll)
        let late = try UnixSocket.connect(path: path)
        try late.setNonBlocking(true)
        _ = try Array("stop\n".utf8).withUnsafeBytes { try late.write($0.baseAddress!, count: $0.count) }
        var answer: [UInt8] = []
        var open = true
        for _ in 0..<100 where open {
            try turn { request in .now(Array("\(request.rawValue) ok\n".utf8)) }
            open = try readAvailable(late, into: &answer)
        }
        XCTAssertEqual(String(decoding: answer, as: UTF8.self), "stop ok\n")
    }

    func testALargeAnswerIsFinishedOnWritability() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 4 << 20) + [UInt8(ascii: "\n")]
        let client = try UnixSocket.connect(path: path)
        try client.setNonBlocking(true)
        _ = try Array("show\n".utf8).withUnsafeBytes { try client.write($0.baseAddress!, count: $0.count) }
        var answer: [UInt8] = []
        var open = true
        var turns = 0
        var longest: UInt64 = 0
        while open && turns < 10_000 {
            longest = max(longest, try turn { _ in .later { big } })  // rendered by the worker
            open = try readAvailable(client, into: &answer)
            turns += 1
        }
        XCTAssertEqual(answer.count, big.count)
        XCTAssertGreaterThan(turns, 2, "4 MiB should not fit one socket buffer")
        XCTAssertLessThan(longest, 20_000_000, "one write held the loop for \(longest) ns")
    }

    func testRequestsAreLinesOfKnownWords() {
        func text(_ request: String, ended: Bool = false) -> String? {
            switch ControlServer.response(to: Array(request.utf8), ended: ended, answer: { .now(Array($0.rawValue.utf8)) }) {
            case .incomplete: return nil
            case .now(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .later(let work): return String(decoding: work(), as: UTF8.self)
            }
        }
        XCTAssertNil(text("sh"), "incomplete")
        XCTAssertEqual(text("show\n"), "show")
        XCTAssertEqual(text("stop", ended: true), "stop")
        XCTAssertEqual(text("reboot\n"), "error: unknown request (reboot)\n")
    }

    func testALateAnswerNeverReachesTheNextClientInTheSlot() throws {
        let first = try UnixSocket.connect(path: path)
        _ = try Array("show\n".utf8).withUnsafeBytes { try first.write($0.baseAddress!, count: $0.count) }
        for _ in 0..<3 {
            try turn { _ in .later { usleep(200_000); return Array("for the first\n".utf8) } }
        }
        XCTAssertEqual(server.clients.connectedCount, 1, "waiting for its answer")
        server.clients.expire(now: MonotonicClock.now() + ControlServer.limits.timeout + 1, epoll: epoll)
        let second = try UnixSocket.connect(path: path)
        try second.setNonBlocking(true)
        var received: [UInt8] = []
        for _ in 0..<100 { try turn() }  // 0.5 s: the first answer finishes meanwhile
        XCTAssertTrue(try readAvailable(second, into: &received))
        XCTAssertEqual(received, [], "the second client got the first one's answer")
        XCTAssertEqual(server.clients.connectedCount, 1)
    }

    func testTheResolverWakesTheLoopThroughItsDescriptor() throws {
        let resolver = try EndpointResolver(groups: [[Endpoint(host: .name("localhost"), port: 7000)], [Endpoint(host: .name("localhost"), port: 7001)]])
        try epoll.add(resolver.wakeup.descriptor.rawValue, token: 9)
        XCTAssertNil(resolver.take(), "nothing resolved yet")
        XCTAssertTrue(resolver.start())
        var woken = false
        for _ in 0..<400 where !woken {  // up to 2 s
            try epoll.wait(timeoutMilliseconds: 5) { token in if token == 9 { woken = true } }
        }
        XCTAssertTrue(woken, "the resolver never signalled")
        let answer = try XCTUnwrap(resolver.take())
        XCTAssertEqual(answer.groups.count, 2, "one group per dialled peer")
        XCTAssertTrue(answer.groups[0].contains { $0.port == 7000 }, "\(answer)")
        XCTAssertTrue(answer.groups[1].allSatisfy { $0.port == 7001 } && !answer.groups[1].isEmpty, "\(answer)")
        XCTAssertNil(resolver.take(), "an answer is taken once")
    }
}
