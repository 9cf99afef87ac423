import MLinkLeases
import MLinkTypes
import XCTest

/// The host's timers and its reactions to answers, with a fake clock.
final class HostLeaseClientTests: XCTestCase {
    let router = someKey(30)
    let a37 = AddressItem(net("10.77.0.37/24"))

    private func grant(_ item: AddressItem, lease: UInt32 = 3600) -> AddressAssign {
        AddressAssign(answersSequence: 1, leaseSeconds: lease, renewSeconds: lease / 2, rebindSeconds: lease / 8 * 7,
                      reason: .granted, items: AddressItems([item])!)
    }

    func testFirstRequestAsksForAnyThenBindsAndRenewsAtT1AndT2() {
        var client = HostLeaseClient(saved: nil, now: 1000)
        XCTAssertEqual(client.request, AddressRequest(items: AddressItems([.anyIPv4])!, isReboot: false))
        let change = client.receive(grant(a37), now: 1000, router: router)
        XCTAssertEqual(change, HostLeaseClient.Change(remove: nil, add: net("10.77.0.37/24"), persist: true))
        XCTAssertEqual(client.request, AddressRequest(items: AddressItems([a37])!, isReboot: true))
        XCTAssertFalse(client.tick(now: 2799).sendRequest)
        XCTAssertTrue(client.tick(now: 2800).sendRequest, "T1 = 1/2")
        XCTAssertFalse(client.tick(now: 2801).sendRequest)
        XCTAssertTrue(client.tick(now: 1000 + 3150).sendRequest, "T2 = 7/8")
        let expiry = client.tick(now: 4600)
        XCTAssertEqual(expiry.change.remove, net("10.77.0.37/24"), "removed at expiry, not before")
        XCTAssertNil(client.lease)
    }

    func testSavedLeaseIsKeptUntilExpiryAndRouterSilenceChangesNothing() {
        let saved = HostLease(address: net("10.77.0.37/24"), obtained: 0, renewAt: 1800, rebindAt: 3150, expires: 3600,
                              router: router)
        let client = HostLeaseClient(saved: saved, now: 3000)
        XCTAssertEqual(client.lease, saved)
        XCTAssertTrue(client.request.isReboot)
        XCTAssertNil(HostLeaseClient(saved: saved, now: 3600).lease, "an expired saved lease is not used")
    }

    func testChangedAddressAndRefusal() {
        var client = HostLeaseClient(saved: nil, now: 0)
        _ = client.receive(grant(a37), now: 0, router: router)
        let a40 = AddressItem(net("10.77.0.40/24"))
        var changed = grant(a40)
        changed.reason = .changed
        XCTAssertEqual(client.receive(changed, now: 5, router: router),
                       HostLeaseClient.Change(remove: net("10.77.0.37/24"), add: net("10.77.0.40/24"), persist: true))
        XCTAssertEqual(client.receive(changed, now: 6, router: router),
                       HostLeaseClient.Change(remove: nil, add: nil, persist: true), "a repeated answer is idempotent")
        let refusal = client.receive(.refusal(answering: 2, reason: .poolExhausted), now: 7, router: router)
        XCTAssertEqual(refusal.remove, net("10.77.0.40/24"))
        XCTAssertEqual(client.lastRefusal, .poolExhausted)
        XCTAssertFalse(client.tick(now: 36).sendRequest)
        XCTAssertTrue(client.tick(now: 37).sendRequest, "asks again 30 s after a refusal")
    }

    func testRelease() {
        var client = HostLeaseClient(saved: nil, now: 0)
        XCTAssertNil(client.release)
        _ = client.receive(grant(a37), now: 0, router: router)
        XCTAssertEqual(client.release, AddressRelease(items: AddressItems([a37])!))
        XCTAssertEqual(client.released(), net("10.77.0.37/24"))
        XCTAssertNil(client.lease)
    }

    func testDeclineAndConflicts() {
        var client = HostLeaseClient(saved: nil, now: 0)
        _ = client.receive(grant(a37), now: 0, router: router)
        XCTAssertEqual(client.decline(.inUseLocally, now: 1), AddressDecline(item: a37, reason: .inUseLocally))
        XCTAssertNil(client.lease)
        XCTAssertNil(client.decline(.inUseLocally, now: 2))
        let local = [net("192.168.0.2/24"), net("10.77.0.37/32")]
        XCTAssertEqual(HostLeaseClient.conflict(ip("10.77.0.37"), localAddresses: local), .inUseLocally)
        XCTAssertEqual(HostLeaseClient.conflict(ip("192.168.0.9"), localAddresses: local), .insideLocalNetwork)
        XCTAssertNil(HostLeaseClient.conflict(ip("10.77.0.38"), localAddresses: local))
    }

    func testUnansweredFirstRequestIsRepeated() {
        var client = HostLeaseClient(saved: nil, now: 100)
        XCTAssertFalse(client.tick(now: 100).sendRequest, "the session sends the first request, not the timer")
        client.noteRequestSent(now: 100)
        XCTAssertFalse(client.tick(now: 109).sendRequest)
        XCTAssertTrue(client.tick(now: 110).sendRequest, "asked again 10 s later")
        _ = client.receive(grant(a37), now: 111, router: router)
        client.noteRequestSent(now: 111)
        XCTAssertEqual(client.nextRequestAt, 111 + 1800, "with a lease only T1 and T2 count")
    }
}

/// A host on several routers asks the others to accept its address, and retries one that disagrees.
final class HostRouterLeasesTests: XCTestCase {
    func testAskAfterSessionRetryWithBackoffAndAcceptance() {
        var routers = HostRouterLeases(routers: [1, 2])
        XCTAssertEqual(routers.due(now: 100, haveAddress: true), [], "no session yet")
        routers.sessionEstablished(1, now: 100)
        XCTAssertEqual(routers.due(now: 100, haveAddress: false), [], "nothing to ask without an address")
        XCTAssertEqual(routers.due(now: 100, haveAddress: true), [1])
        XCTAssertEqual(routers.due(now: 100, haveAddress: true), [], "asked once")
        let mine = ip("10.77.0.70")
        routers.received(from: 1, granted: ip("10.77.0.99"), held: mine, now: 101)
        XCTAssertEqual(routers.state(of: 1), .differs)
        XCTAssertEqual(routers.due(now: 101, haveAddress: true), [])
        XCTAssertEqual(routers.due(now: 102, haveAddress: true), [1], "again after 1 s")
        routers.received(from: 1, granted: nil, held: mine, now: 102)
        XCTAssertEqual(routers.due(now: 103, haveAddress: true), [], "then after 2 s")
        XCTAssertEqual(routers.due(now: 104, haveAddress: true), [1])
        routers.received(from: 1, granted: mine, held: mine, now: 104)
        XCTAssertEqual(routers.state(of: 1), .accepted)
        XCTAssertEqual(routers.due(now: 200, haveAddress: true), [])
        routers.addressChanged(now: 300)
        XCTAssertEqual(routers.due(now: 300, haveAddress: true), [1], "a new address is asked for again")
        XCTAssertEqual(routers.state(of: 2), .noSession)
        routers.sessionLost(1)
        XCTAssertEqual(routers.state(of: 1), .noSession)
    }
}
