import XCTest
@testable import MLinkConfig

/// `private-key-file` resolution and `privateKeyExposed` against real files and modes.
final class PrivateKeyTests: XCTestCase {
    private let key = ProfileTexts.hostPrivateKey

    private func hostWithKeyFile(_ keyFile: String) -> String {
        ProfileTexts.host.replacingOccurrences(of: "private-key: \(key)", with: "private-key-file: \(keyFile)")
    }

    func testKeyFileIsRelativeToTheProfilesFolder() throws {
        let folder = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: "\(folder.path)/keys", withIntermediateDirectories: true)
        try folder.write("keys/vm0.key", key + "\n")
        let profile = try ProfileLoader.parse(text: hostWithKeyFile("keys/vm0.key"), path: "vm0.yaml", directory: folder.path)
        XCTAssertEqual(profile.privateKey.base64, key)
    }

    func testLoadResolvesTheKeyFileNextToTheProfile() throws {
        let folder = try TemporaryDirectory()
        try folder.write("vm0.key", key)
        let path = try folder.write("vm0.yaml", hostWithKeyFile("vm0.key"))
        XCTAssertEqual(try ProfileLoader.load(path: path).privateKey.base64, key)
    }

    func testAbsoluteKeyFileIgnoresTheFolder() throws {
        let folder = try TemporaryDirectory()
        let keyPath = try folder.write("vm0.key", key + "\r\n")
        let profile = try ProfileLoader.parse(text: hostWithKeyFile(keyPath), path: "vm0.yaml", directory: "/nonexistent")
        XCTAssertEqual(profile.privateKey.base64, key)
    }

    func testKeyFileWithTwoKeysIsRefused() throws {
        let folder = try TemporaryDirectory()
        try folder.write("vm0.key", key + "\n" + key + "\n")
        XCTAssertThrowsError(try ProfileLoader.parse(text: hostWithKeyFile("vm0.key"), path: "vm0.yaml", directory: folder.path)) { error in
            XCTAssertEqual((error as? ProfileError)?.problem, "\(folder.path)/vm0.key: not a base64 X25519 key (32 bytes)")
        }
    }

    func testKeyFileThatIsAFolderNamesTheResolvedPathAndStrerror() throws {
        let folder = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: "\(folder.path)/keys", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ProfileLoader.parse(text: hostWithKeyFile("keys"), path: "vm0.yaml", directory: folder.path)) { error in
            XCTAssertEqual((error as? ProfileError)?.description,
                           "vm0.yaml:2:19: private-key-file: cannot read \(folder.path)/keys: Is a directory")
        }
    }

    func testKeyFileReadableByOthersIsExposed() throws {
        let folder = try TemporaryDirectory()
        try folder.write("vm0.key", key, permissions: 0o644)
        let profile = try ProfileLoader.parse(text: hostWithKeyFile("vm0.key"), path: "vm0.yaml", directory: folder.path)
        XCTAssertTrue(profile.privateKeyExposed)
    }

    func testKeyFileReadableByOwnerOnlyIsNotExposed() throws {
        let folder = try TemporaryDirectory()
        try folder.write("vm0.key", key, permissions: 0o600)
        let path = try folder.write("vm0.yaml", hostWithKeyFile("vm0.key"), permissions: 0o644)
        XCTAssertFalse(try ProfileLoader.load(path: path).privateKeyExposed, "only the key file's mode counts")
    }

    func testInlineKeyInAProfileReadableByGroupIsExposed() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write("vm0.yaml", ProfileTexts.host, permissions: 0o640)
        XCTAssertTrue(try ProfileLoader.load(path: path).privateKeyExposed)
    }

    func testInlineKeyInAPrivateProfileIsNotExposed() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write("vm0.yaml", ProfileTexts.host, permissions: 0o600)
        XCTAssertFalse(try ProfileLoader.load(path: path).privateKeyExposed)
    }

    func testInlineKeyIsNeverEchoedInTheError() {
        let text = ProfileTexts.host.replacingOccurrences(of: key, with: String(key.dropLast(4)))
        XCTAssertThrowsError(try ProfileLoader.parse(text: text, path: "vm0.yaml", directory: ".")) { error in
            let description = (error as? ProfileError)?.description ?? ""
            XCTAssertEqual(description, "vm0.yaml:2:14: private-key: not a base64 X25519 key (32 bytes)")
            XCTAssertFalse(description.contains(String(key.prefix(8))))
        }
    }
}
