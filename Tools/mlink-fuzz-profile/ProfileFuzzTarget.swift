import CMLinkShims
import Glibc
import MLinkConfig

// Fuzz target: the profile loader (libyaml underneath) on arbitrary bytes. Invariant besides "no crash": every
// rejection is a ProfileError naming the file, never another error type. Built like mlink-fuzz-packet: libFuzzer
// entry point under `-D FUZZING`, a corpus replayer otherwise (`mlink-fuzz-profile FILE...`).

func loadProfile(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    do {
        _ = try ProfileLoader.parse(text: text, path: "fuzz.yaml", directory: "/nonexistent")
    } catch let error as ProfileError {
        precondition(error.description.hasPrefix("fuzz.yaml"), "an error that does not name the file: \(error)")
    } catch {
        preconditionFailure("not a ProfileError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    loadProfile(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
/// The entry point SwiftPM links for this executable, handing control to libFuzzer.
@_cdecl("mlink_fuzz_profile_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzzOneInput(data, size) }
}
#else
@main
enum Replayer {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        for path in arguments {
            guard let file = fopen(path, "rb") else { fatalError("cannot read \(path)") }
            var bytes = [UInt8](repeating: 0, count: 1 << 20)
            let count = fread(&bytes, 1, bytes.count, file)
            fclose(file)
            bytes.withUnsafeBytes { loadProfile(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        print("\(arguments.count) inputs replayed, no invariant broken")
    }
}
#endif
