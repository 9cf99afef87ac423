import CMnl
import Foundation
import Glibc
import MLinkTypes
import XCTest

@testable import MLinkNetlink

/// NetlinkMonitor against a real kernel, in a throwaway namespace. Root only.
final class NetlinkMonitorIntegrationTests: XCTestCase {
    /// Waits (poll) and reads until `done` holds for the events seen so far, or five seconds pass.
    private func readEvents(_ monitor: NetlinkMonitor, until done: ([NetlinkEvent]) -> Bool) throws
        -> [NetlinkEvent] {
        var events: [NetlinkEvent] = []
        let deadline = Date().addingTimeInterval(5)
        while !done(events) && Date() < deadline {
            var descriptor = pollfd(fd: monitor.fileDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 100)
            events += try monitor.readEvents()
        }
        return events
    }

    func testSeesLinkAndAddressCreatedAfterSubscribing() throws {
        try NetworkNamespace.run { namespace in
            let monitor = try NetlinkMonitor()
            XCTAssertEqual(try monitor.readEvents(), [], "nothing pending yet, and no blocking")
            try namespace.ip("link", "add", "m0", "type", "veth", "peer", "name", "m1")
            try namespace.ip("addr", "add", "10.99.0.1/24", "dev", "m0")
            try namespace.ip("link", "set", "m0", "up")
            let address = IPNetwork("10.99.0.1/24")!
            let events = try readEvents(monitor) { events in
                events.contains { if case .addressAdded(let a) = $0 { return a.network == address }; return false }
            }
            let added = events.compactMap { event -> Link? in
                if case .linkAdded(let link) = event, link.name == "m0" { return link }
                return nil
            }
            let first = try XCTUnwrap(added.first, "\(events)")
            XCTAssertEqual(first.kind, "veth")
            XCTAssertTrue(events.contains(.addressAdded(InterfaceAddress(linkIndex: first.index, network: address,
                                                                         scope: 0,
                                                                         flags: UInt32(IFA_F_PERMANENT)))),
                          "\(events)")

            try namespace.ip("link", "del", "m0")
            let removal = try readEvents(monitor) { $0.contains(.linkRemoved(index: first.index, name: "m0")) }
            XCTAssertTrue(removal.contains(.linkRemoved(index: first.index, name: "m0")), "\(removal)")
            XCTAssertTrue(removal.contains { if case .addressRemoved(let a) = $0 { return a.network == address }
                                             return false }, "\(removal)")
        }
    }
}
