import Foundation
import XCTest
@testable import MLinkConfig

/// Every file in Fixtures/bad must fail to load with exactly the message in its sibling `.err` file.
///
/// `.err` files write the Fixtures folder as `$FIXTURES`, since the bundle's location differs per machine.
/// After a deliberate wording change, run once with `MLINK_WRITE_GOLDEN=1` to rewrite them, then review the diff.
final class GoldenErrorTests: XCTestCase {
    /// The number of cases in Fixtures/bad: losing even one fixture fails. Raise it when adding cases.
    static let minimumCaseCount = 70

    func testEveryBadProfileFailsWithItsGoldenMessage() throws {
        let fixtures = FixturePaths.fixtures
        let bad = "\(fixtures)/bad"
        let names = try FileManager.default.contentsOfDirectory(atPath: bad).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, Self.minimumCaseCount)
        let source = try FileManager.default.contentsOfDirectory(atPath: "\(FixturePaths.sourceFixtures)/bad")
        XCTAssertEqual(names, source.filter { $0.hasSuffix(".yaml") }.sorted(), "the bundle lacks cases of the source tree")
        let rewrite = ProcessInfo.processInfo.environment["MLINK_WRITE_GOLDEN"] == "1"
        for name in names {
            let base = String(name.dropLast(".yaml".count))
            let actual: String
            do {
                let profile = try ProfileLoader.load(path: "\(bad)/\(name)")
                XCTFail("\(name) loaded as \(profile.name) but should fail")
                continue
            } catch let error as ProfileError {
                actual = error.description.replacingOccurrences(of: fixtures, with: "$FIXTURES")
            }
            if rewrite {
                try (actual + "\n").write(toFile: "\(FixturePaths.sourceFixtures)/bad/\(base).err",
                                          atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOfFile: "\(bad)/\(base).err", encoding: .utf8)
            XCTAssertEqual(actual, expected.trimmingCharacters(in: .newlines), "golden message for \(name)")
        }
    }

    func testEveryGoldenMessageHasItsProfile() throws {
        let bad = "\(FixturePaths.fixtures)/bad"
        let files = try FileManager.default.contentsOfDirectory(atPath: bad)
        for name in files where name.hasSuffix(".err") {
            XCTAssertTrue(files.contains(String(name.dropLast(".err".count)) + ".yaml"), "\(name) has no profile")
        }
    }

    func testParseLabelsErrorsWithTheGivenPath() {
        XCTAssertThrowsError(try ProfileLoader.parse(text: "name: vm0\nrole: router\npeers: []\n",
                                                   path: "given/vm0.yaml", directory: "given")) { error in
            XCTAssertEqual(error as? ProfileError, ProfileError(
                file: "given/vm0.yaml", line: 1, column: 1, key: "private-key",
                problem: "a profile needs private-key or private-key-file"))
        }
    }

    func testDescriptionIsFileLineColumnKeyProblem() {
        let error = ProfileError(file: "a.yaml", line: 3, column: 7, key: "peers[0].public-key", problem: "bad")
        XCTAssertEqual(error.description, "a.yaml:3:7: peers[0].public-key: bad")
    }

    func testUnreadableProfileIsReportedAgainstTheWholeFile() {
        XCTAssertThrowsError(try ProfileLoader.load(path: "/nonexistent/mlink/vm0.yaml")) { error in
            XCTAssertEqual((error as? ProfileError)?.description,
                           "/nonexistent/mlink/vm0.yaml:0:0: file: cannot read: No such file or directory")
        }
    }
}
