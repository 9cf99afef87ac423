import Foundation
import XCTest
@testable import MLinkControl

/// The status report's JSON: its keys, flat counters, and the manual that documents them.
final class StatusReportTests: XCTestCase {
    /// A report with every optional present and every counter distinct, so every key appears.
    static var full: StatusReport {
        var r = StatusReport()
        r.interface = "ml-vm1"; r.name = "vm1"; r.role = "router"; r.address = "10.77.0.1/24"; r.mode = "redundant"
        r.publicKey = "PUB"; r.pid = 42; r.started = 1_795_000_000.5; r.listenPort = 7000
        r.links = [LinkReport(link: "eth0", local: "192.168.0.3:7000")]
        r.sourceRouting = [SourceRouteReport(link: "eth0", from: "192.168.0.3", table: 10900, gateway: "192.168.0.1")]
        r.routerEndpoints = ["192.168.0.3:7000"]
        r.metricsListen = "127.0.0.1:9477"
        for (i, field) in DropCounts.fieldList.enumerated() { r.drops[keyPath: field.keyPath] = UInt64(100 + i) }
        r.tun.rxPackets = 7; r.tun.txPackets = 8
        var peer = PeerReport()
        peer.name = "vm0"; peer.publicKey = "HPUB"; peer.allowedIPs = ["10.77.0.10/32"]
        peer.virtualAddresses = ["10.77.0.10/32"]; peer.session = true; peer.latestHandshake = 1_795_000_001.25
        peer.txBytes = 5; peer.rxBytes = 6
        for (i, field) in PeerCounts.fieldList.enumerated() { peer.counters[keyPath: field.keyPath] = UInt64(200 + i) }
        var c = ConnectionReport()
        c.link = "eth0"; c.local = "192.168.0.3:7000"; c.remote = "192.168.0.2:40000"; c.state = .degraded
        c.pathID = 256; c.rttMilliseconds = 1.5; c.jitterMilliseconds = 0.25; c.loss = 0.125; c.firstShare = 0.5
        c.lastReceivedAge = 0.75; c.stateAge = 12.5
        for (i, field) in ConnectionCounts.fieldList.enumerated() { c.counters[keyPath: field.keyPath] = UInt64(300 + i) }
        peer.connections = [c]
        r.peers = [peer]
        return r
    }

    /// The JSON object as Foundation reads it (an independent decoder).
    func object(_ report: StatusReport) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.jsonLine)) as? [String: Any])
    }

    func testRoundTripsAndKeepsTheKeysScriptsRead() throws {
        let report = StatusReportTests.full
        XCTAssertEqual(try StatusReport(json: report.jsonLine), report)
        let d = try object(report)
        let peer = try XCTUnwrap((d["peers"] as? [[String: Any]])?.first)
        let connection = try XCTUnwrap((peer["connections"] as? [[String: Any]])?.first)
        // Keys that tests/integration and users' scripts read, flat where they always were.
        XCTAssertEqual(d["interface"] as? String, "ml-vm1")
        XCTAssertEqual(d["pid"] as? Int, 42)
        XCTAssertEqual((d["drops"] as? [String: Any])?["unknown_key"] as? Int, 103)
        XCTAssertEqual(d["router_endpoints"] as? [String], ["192.168.0.3:7000"])
        XCTAssertEqual(peer["duplicates"] as? Int, 201)
        XCTAssertEqual(peer["source_rejected"] as? Int, 204)
        XCTAssertEqual(peer["too_old"] as? Int, 202)
        XCTAssertEqual(connection["rx_packets"] as? Int, 303)
        XCTAssertEqual(connection["state"] as? String, "degraded")
        XCTAssertEqual(connection["rtt_ms"] as? Double, 1.5)
        XCTAssertEqual(connection["first_share"] as? Double, 0.5)
    }

    func testAbsentValuesAreOmittedAndMissingCountersReadAsZero() throws {
        var report = StatusReportTests.full
        report.metricsListen = nil
        report.peers[0].latestHandshake = nil
        let d = try object(report)
        XCTAssertNil(d["metrics_listen"])
        XCTAssertNil((d["peers"] as? [[String: Any]])?.first?["latest_handshake"])
        // A core that does not know a counter yet: the field reads as 0, the rest as sent.
        var text = String(decoding: report.jsonLine, as: UTF8.self)
        text = text.replacingOccurrences(of: "\"paths_refused\":211,", with: "")
        let decoded = try StatusReport(json: Array(text.utf8))
        XCTAssertEqual(decoded.peers[0].counters.pathsRefused, 0)
        XCTAssertEqual(decoded.peers[0].counters.expired, 210)
        XCTAssertThrowsError(try StatusReport(json: Array("{\"interface\":".utf8)))
    }

    /// Every stored counter is in its `fieldList` exactly once, under the snake_case of its property name.
    func testFieldListsCoverEveryCounter() {
        func check<C: CounterSet>(_ type: C.Type) {
            let properties = Mirror(reflecting: C()).children.compactMap(\.label)
            let names = C.fieldList.map(\.name)
            XCTAssertEqual(Set(names).count, names.count, "\(C.self): a name twice")
            XCTAssertEqual(names.count, properties.count, "\(C.self): fieldList \(names) vs properties \(properties)")
            var probe = C()
            for (i, field) in C.fieldList.enumerated() { probe[keyPath: field.keyPath] = UInt64(i + 1) }
            XCTAssertEqual(probe.fields.map(\.value), (1...UInt64(names.count)).map { $0 }, "\(C.self): two names, one value")
            for property in properties where !names.contains(snakeCase(property)) {
                XCTFail("\(C.self).\(property) has no field named \(snakeCase(property))")
            }
        }
        check(DropCounts.self)
        check(PeerCounts.self)
        check(ConnectionCounts.self)
    }

    func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }

    func testIncreasesListOnlyWhatGrew() {
        var before = DropCounts(), after = DropCounts()
        before.malformed = 5; after.malformed = 7; after.tunWrite = 1; before.noRoute = 3
        XCTAssertEqual(after.increases(since: before).map(\.name), ["malformed", "tun_write"])
        XCTAssertEqual(after.increases(since: before).map(\.increase), [2, 1])
    }

    func testControlRequestsParseOneWord() throws {
        XCTAssertEqual(try ControlRequest(line: "show"), .show)
        XCTAssertEqual(try ControlRequest(line: "  stop\r"), .stop)
        XCTAssertThrowsError(try ControlRequest(line: "shows")) { error in
            XCTAssertEqual(error as? ControlError, .unknownRequest("shows"))
        }
        XCTAssertEqual(ControlRequest.show.wireLine, Array("show\n".utf8))
    }

    // MARK: The manual

    /// Every key of `show --json` is a `Li KEY` of mlink(8)'s JSON STATUS section (a list entry `.It Li KEY`
    /// or a `.Li KEY` line), and every such word there is a key: renaming, adding or dropping a key without the manual fails here.
    func testManualDocumentsEveryKey() throws {
        let manual = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../man/mlink.8")
        let page = try String(contentsOf: manual, encoding: .utf8)
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try XCTUnwrap(lines.firstIndex(of: ".Sh JSON STATUS"), "mlink.8 has no JSON STATUS section")
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix(".Sh ") } ?? lines.endIndex
        var documented = Set<String>()
        for line in lines[start..<end] where line.hasPrefix(".It Li ") || line.hasPrefix(".Li ") {
            let words = line.split(separator: " ")
            for (i, word) in words.enumerated().dropLast() where word == "Li" || word == ".Li" { documented.insert(String(words[i + 1])) }
        }
        var keys = Set<String>()
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, inner) in object { keys.insert(key); collect(inner) }
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(try object(StatusReportTests.full))
        // The coding keys too, in case a sample value is ever left out of `full`.
        keys.formUnion(StatusReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(PeerReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(ConnectionReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(LinkReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(SourceRouteReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(TunCounts.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(PeerMeshReport.CodingKeys.allCases.map(\.stringValue) + RouterChoiceReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(LeaseReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(LeaseEntry.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(HostLeaseReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(LeaseSyncReport.CodingKeys.allCases.map(\.stringValue)
                       + LeaseSyncPeerReport.CodingKeys.allCases.map(\.stringValue)
                       + HostRouterLeaseReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(PolicyStatus.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(PolicyUsageReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(FlowReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(AdaptiveReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(AggregateReport.CodingKeys.allCases.map(\.stringValue)
                       + AggregateLinkReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(RoutesReport.CodingKeys.allCases.map(\.stringValue) + AnnouncementReport.CodingKeys.allCases.map(\.stringValue)
                       + DistributedRouteReport.CodingKeys.allCases.map(\.stringValue)
                       + SharedPrefixReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion(ImportsReport.CodingKeys.allCases.map(\.stringValue) + ImportedRouteReport.CodingKeys.allCases.map(\.stringValue)
                       + RefusedImportReport.CodingKeys.allCases.map(\.stringValue))
        keys.formUnion((DropCounts.fieldList.map(\.name) + PeerCounts.fieldList.map(\.name)
                        + ConnectionCounts.fieldList.map(\.name)))
        XCTAssertEqual(keys.subtracting(documented).sorted(), [], "keys of show --json missing from mlink.8")
        XCTAssertEqual(documented.subtracting(keys).sorted(), [], "mlink.8 documents keys show --json does not have")
    }
}
