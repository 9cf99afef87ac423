import MLinkTypes
import XCTest
@testable import MLinkConfig

/// Optional keys, defaults and YAML forms that a valid profile may use.
final class ProfileFieldTests: XCTestCase {
    private func parse(_ text: String) throws -> Profile {
        try ProfileLoader.parse(text: text, path: "vm0.yaml", directory: ".")
    }

    func testOptionalKeysAndTheirValues() throws {
        let text = ProfileTexts.host
            .replacingOccurrences(of: "  address: 10.77.0.10/24\n", with: "  address: 10.77.0.10/24\n  mtu: 1380\n")
            .replacingOccurrences(of: "  virtual-ip: 10.77.0.1\n", with: "  virtual-ip: 10.77.0.1\n  routes: [192.168.50.0/24, 10.1.2.3]\n")
            + "links: ['wwan*', eth0, 'en?s[0-9]']\nmode: redundant\nkeepalive: 0\n"
        let profile = try parse(text)
        XCTAssertEqual(profile.interface.mtu, 1380)
        XCTAssertEqual(profile.router?.routes, [IPNetwork("192.168.50.0/24"), IPNetwork("10.1.2.3/32")].compactMap { $0 })
        XCTAssertEqual(profile.links, ["wwan*", "eth0", "en?s[0-9]"])
        XCTAssertEqual(profile.keepaliveSeconds, 0)
    }

    func testRouterDefaultsToPort7000AndAcceptsAnotherPort() throws {
        let router = try ProfileLoader.load(path: "\(FixturePaths.examples)/vm1.yaml")
        XCTAssertEqual(router.listenPort, 7000)
        let text = try String(contentsOfFile: "\(FixturePaths.examples)/vm1.yaml", encoding: .utf8)
        XCTAssertEqual(try parse(text.replacingOccurrences(of: "listen-port: 7000\n", with: "")).listenPort, 7000)
        XCTAssertEqual(try parse(text.replacingOccurrences(of: "listen-port: 7000", with: "listen-port: 51820")).listenPort, 51820)
    }

    func testIPv6VirtualNetworkAllowsMTU1280() throws {
        let text = ProfileTexts.host
            .replacingOccurrences(of: "10.77.0.10/24", with: "fd77::10/64")
            .replacingOccurrences(of: "virtual-ip: 10.77.0.1", with: "virtual-ip: fd77::1")
            .replacingOccurrences(of: "  name: ml-vm0\n", with: "  name: ml-vm0\n  mtu: 1280\n")
        let profile = try parse(text)
        XCTAssertEqual(profile.interface.mtu, 1280)
        XCTAssertEqual(profile.router?.virtualIP, IPAddress("fd77::1"))
    }

    func testRoleHostMayBeWritten() throws {
        XCTAssertEqual(try parse("role: host\n" + ProfileTexts.host).role, .host)
    }

    func testNumericLookingNameIsAString() throws {
        XCTAssertEqual(try parse(ProfileTexts.host.replacingOccurrences(of: "name: vm0", with: "name: 42")).name, "42")
    }

    func testFlowStyleQuotedKeysAndAnchorsAreOrdinaryYAML() throws {
        let text = """
            "name": vm0
            private-key: &key \(ProfileTexts.hostPrivateKey)
            interface: {name: ml-vm0, address: 10.77.0.10/24}
            router: {public-key: \(ProfileTexts.routerPublicKey), endpoints: ['192.168.0.3:7000'], virtual-ip: 10.77.0.1}
            links: &uplinks [enp0s3]
            """
        let profile = try parse(text)
        XCTAssertEqual(profile.name, "vm0")
        XCTAssertEqual(profile.links, ["enp0s3"])
        XCTAssertEqual(profile.router?.endpoints.count, 1)
    }

    func testAliasReusesTheAnchoredValue() throws {
        let text = ProfileTexts.host + "links: &uplinks [enp0s3, enp0s8]\nmetrics-listen: &m 127.0.0.1:9477\n"
        XCTAssertEqual(try parse(text).links, ["enp0s3", "enp0s8"])
        let aliased = ProfileTexts.host.replacingOccurrences(of: "name: vm0", with: "name: &n vm0")
            .replacingOccurrences(of: "  name: ml-vm0", with: "  name: *n")
        XCTAssertEqual(try parse(aliased).interface.name, "vm0")
    }

    func testDocumentMarkersAroundOneDocumentAreAccepted() throws {
        XCTAssertEqual(try parse("---\n" + ProfileTexts.host + "...\n").name, "vm0")
    }

    func testEmptyValueErrorPointsAtTheKeyNotTheNextLine() {
        let text = ProfileTexts.host.replacingOccurrences(of: "  address: 10.77.0.10/24", with: "  address:")
        XCTAssertThrowsError(try parse(text)) { error in
            XCTAssertEqual((error as? ProfileError)?.description, "vm0.yaml:5:3: interface.address: expected a string, got nothing")
        }
    }

    func testSuggestionsUseEditDistance() {
        XCTAssertEqual(KeySuggestion.editDistance("listen_port", "listen-port"), 1)
        XCTAssertEqual(KeySuggestion.editDistance("", "mtu"), 3)
        XCTAssertEqual(KeySuggestion.closest(to: "listen_port", among: ValidatorKeys.profile), "listen-port")
        XCTAssertEqual(KeySuggestion.closest(to: "privatekey", among: ValidatorKeys.profile), "private-key")
        XCTAssertNil(KeySuggestion.closest(to: "completely-different", among: ValidatorKeys.profile))
    }

    func testSnakeCaseKeyGetsTheKebabCaseSuggestion() {
        let text = ProfileTexts.host.replacingOccurrences(of: "  virtual-ip:", with: "  virtual_ip:")
        XCTAssertThrowsError(try parse(text)) { error in
            XCTAssertEqual((error as? ProfileError)?.description,
                           "vm0.yaml:9:3: router.virtual_ip: unknown key; did you mean 'virtual-ip'?")
        }
    }

    func testGlobLinksSkipTheInterfaceNameRuleButNotTheCharacterRule() {
        XCTAssertNoThrow(try parse(ProfileTexts.host + "links: ['a-very-long-glob-pattern-*']\n"))
        XCTAssertThrowsError(try parse(ProfileTexts.host + "links: ['wwan* eth*']\n")) { error in
            XCTAssertEqual((error as? ProfileError)?.problem,
                           "'wwan* eth*' has a space; a pattern may use interface-name characters and *?[]!^")
        }
    }
}

/// The validator's key lists under short names for the suggestion tests.
private enum ValidatorKeys {
    static let profile = ProfileValidator.profileKeys
}
