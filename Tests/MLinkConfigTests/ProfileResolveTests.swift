import XCTest
@testable import MLinkConfig

/// `mlink up NAME` resolution and the interface name taken from the file name.
final class ProfileResolveTests: XCTestCase {
    func testBareNameResolvesInEtcMlink() {
        XCTAssertEqual(ProfileLoader.resolve(argument: "vm0", environment: [:]), "/etc/mlink/vm0.yaml")
    }

    func testBareNameResolvesInConfigDirectoryFromEnvironment() {
        XCTAssertEqual(ProfileLoader.resolve(argument: "vm0", environment: ["MLINK_CONFIG_DIR": "/srv/mlink"]),
                       "/srv/mlink/vm0.yaml")
        XCTAssertEqual(ProfileLoader.resolve(argument: "vm0", environment: ["MLINK_CONFIG_DIR": "/srv/mlink/"]),
                       "/srv/mlink/vm0.yaml")
        XCTAssertEqual(ProfileLoader.resolve(argument: "vm0", environment: ["MLINK_CONFIG_DIR": "/"]), "/vm0.yaml")
    }

    func testEmptyConfigDirectoryFallsBackToEtcMlink() {
        XCTAssertEqual(ProfileLoader.resolve(argument: "vm0", environment: ["MLINK_CONFIG_DIR": ""]),
                       "/etc/mlink/vm0.yaml")
    }

    func testArgumentWithSlashIsAPath() {
        XCTAssertEqual(ProfileLoader.resolve(argument: "./vm0", environment: ["MLINK_CONFIG_DIR": "/srv"]), "./vm0")
        XCTAssertEqual(ProfileLoader.resolve(argument: "/tmp/x/vm0.yaml", environment: [:]), "/tmp/x/vm0.yaml")
        XCTAssertEqual(ProfileLoader.resolve(argument: "examples/vm1.yaml", environment: [:]), "examples/vm1.yaml")
    }

    func testArgumentEndingInYamlIsAPath() {
        XCTAssertEqual(ProfileLoader.resolve(argument: "vm0.yaml", environment: ["MLINK_CONFIG_DIR": "/srv"]), "vm0.yaml")
    }

    func testDefaultInterfaceNameIsTheBaseNameWithoutYaml() {
        XCTAssertEqual(ProfileLoader.defaultInterfaceName(forPath: "/etc/mlink/office.yaml"), "office")
        XCTAssertEqual(ProfileLoader.defaultInterfaceName(forPath: "office.yaml"), "office")
        XCTAssertEqual(ProfileLoader.defaultInterfaceName(forPath: "dir/office"), "office")
        XCTAssertEqual(ProfileLoader.defaultInterfaceName(forPath: "dir/office.yml"), "office.yml")
    }

    func testProfileWithoutInterfaceNameUsesTheFileName() throws {
        let text = ProfileTexts.host.replacingOccurrences(of: "  name: ml-vm0\n", with: "")
        let profile = try ProfileLoader.parse(text: text, path: "/etc/mlink/office.yaml", directory: "/etc/mlink")
        XCTAssertEqual(profile.interface.name, "office")
    }

    func testLoadTakesTheInterfaceNameFromTheFileOnDisk() throws {
        let folder = try TemporaryDirectory()
        let text = ProfileTexts.host.replacingOccurrences(of: "  name: ml-vm0\n", with: "")
        let path = try folder.write("ml-lab.yaml", text)
        XCTAssertEqual(try ProfileLoader.load(path: path).interface.name, "ml-lab")
    }

    func testDefaultInterfaceNameIsValidatedLikeAWrittenOne() {
        let text = ProfileTexts.host.replacingOccurrences(of: "  name: ml-vm0\n", with: "")
        XCTAssertThrowsError(try ProfileLoader.parse(text: text, path: "my office.yaml", directory: ".")) { error in
            XCTAssertEqual((error as? ProfileError)?.description, "my office.yaml:4:3: interface.name: the default "
                + "'my office' (the file's base name) has a space; an interface name may use letters, digits "
                + "and _=+.-; set interface.name")
        }
    }

    func testDirectoryOfAPath() {
        XCTAssertEqual(ProfileLoader.directory(of: "vm0.yaml"), ".")
        XCTAssertEqual(ProfileLoader.directory(of: "/vm0.yaml"), "/")
        XCTAssertEqual(ProfileLoader.directory(of: "/etc/mlink/vm0.yaml"), "/etc/mlink")
    }
}
