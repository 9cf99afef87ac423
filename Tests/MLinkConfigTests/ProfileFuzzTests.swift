import MLinkTypes
import XCTest
@testable import MLinkConfig

/// Mutated profiles must either load or fail with a `ProfileError`: never crash, hang or throw anything else.
///
/// Deterministic (a fixed seed) so a failure reproduces; the mutations favour YAML's structural characters,
/// which reach far more parser and validator states than random bytes do.
final class ProfileFuzzTests: XCTestCase {
    static let iterations = 3000

    private static let interesting = Array(":-[]{},&*!|>'\"#%@` \t\n0123456789abz/.=~\u{00}".utf8) + [0xC3, 0xFF]

    func testMutatedExamplesFailOnlyWithProfileErrors() throws {
        var random = SplitMix64(seed: 0x6D6C_696E_6B)
        let seeds = try ["vm0", "vm1", "vm2"].map {
            Array(try String(contentsOfFile: "\(FixturePaths.examples)/\($0).yaml", encoding: .utf8).utf8)
        }
        var loaded = 0
        for _ in 0..<Self.iterations {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[position] = Self.interesting.randomElement(using: &random) ?? 0
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(Self.interesting.randomElement(using: &random) ?? 0, at: position)
                default: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...20, using: &random)))
                }
                if bytes.isEmpty { bytes = [0x0A] }
            }
            do {
                _ = try ProfileLoader.parse(bytes: bytes, path: "fuzz.yaml", directory: "/nonexistent")
                loaded += 1
            } catch let error as ProfileError {
                XCTAssertFalse(error.problem.isEmpty)
                XCTAssertGreaterThanOrEqual(error.line, 1)
                XCTAssertGreaterThanOrEqual(error.column, 1)
            }
        }
        XCTAssertLessThan(loaded, Self.iterations, "mutations should break most profiles")
    }
}
