import MLinkConfig
import MLinkFlows
import MLinkTypes
import XCTest

/// `policies`, `deadline`, `target-loss`, `max-overhead` and the per-flow modes (issue 15's contract).
final class PolicyProfileTests: XCTestCase {
    private let host = """
        name: vm0
        private-key: YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c=
        interface: {name: ml-vm0, address: 10.77.0.10/24}
        router:
          public-key: pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI=
          endpoints: [192.168.0.3:7000]
          virtual-ip: 10.77.0.1

        """

    func testTheIssueContractLoads() throws {
        let profile = try ProfileLoader.parse(text: host + """
            mode: adaptive
            deadline: 150ms
            target-loss: 0.1%
            policies:
              - {name: voice, match: {dscp: [EF], detect: [rtp-audio]}, mode: redundant, copies: 2}
              - {name: calls, match: {detect: [webrtc, rtp-video]}, mode: adaptive, max-overhead: 30%}
              - {name: backup, match: {dst: 10.10.0.0/16, proto: tcp, port: 445}, mode: aggregate}
              - {name: default, mode: failover}
            """, path: "policy.yaml", directory: "/tmp")
        XCTAssertEqual(profile.mode, .adaptive)
        XCTAssertEqual(profile.policies.deadlineMilliseconds, 150)
        XCTAssertEqual(profile.policies.targetLoss, 0.001, accuracy: 1e-12)
        XCTAssertEqual(profile.policies.rules.map(\.name), ["voice", "calls", "backup", "default"])
        let voice = profile.policies.rules[0]
        XCTAssertEqual(voice.match.dscp, [46])
        XCTAssertEqual(voice.match.detect, [.rtpAudio])
        XCTAssertEqual(voice.copies, 2)
        XCTAssertEqual(profile.policies.rules[1].match.detect, [.webrtc, .rtpVideo])
        XCTAssertEqual(profile.policies.rules[1].maximumOverhead ?? 0, 0.3, accuracy: 1e-12)
        let backup = profile.policies.rules[2].match
        XCTAssertEqual(backup.destinations, [IPNetwork("10.10.0.0/16")!])
        XCTAssertEqual(backup.protocols, [6])
        XCTAssertEqual(backup.ports, [445...445])
        XCTAssertEqual(profile.policies.rules[3].mode, .failover)
        XCTAssertTrue(profile.policies.isActive(defaultMode: profile.mode))
    }

    func testWithoutPoliciesNothingIsClassified() throws {
        let profile = try ProfileLoader.parse(text: host + "mode: redundant\n", path: "plain.yaml", directory: "/tmp")
        XCTAssertFalse(profile.policies.isActive(defaultMode: profile.mode))
        let aggregate = try ProfileLoader.parse(text: host + "mode: aggregate\n", path: "bulk.yaml", directory: "/tmp")
        XCTAssertTrue(aggregate.policies.isActive(defaultMode: aggregate.mode), "aggregate works per flow")
    }
}
