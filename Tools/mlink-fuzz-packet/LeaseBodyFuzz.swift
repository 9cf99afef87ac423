import MLinkLeases

/// The lease bodies (PROTOCOL.md §14.1) on arbitrary bytes. A datagram from the fuzzer never decrypts, so the
/// bodies are fed the input directly, as a daemon would after the AEAD. Invariant besides "no crash": every body
/// that parses encodes back to exactly the input (the layout has no slack, so nothing is silently ignored).
enum LeaseBodyFuzz {
    static func run(_ input: UnsafeRawBufferPointer) {
        if let request = AddressRequest(body: input, flags: 0) { check(request.body, input, "ADDRESS_REQUEST") }
        if let assign = AddressAssign(body: input) { check(assign.body, input, "ADDRESS_ASSIGN") }
        if let release = AddressRelease(body: input) { check(release.body, input, "ADDRESS_RELEASE") }
        if let decline = AddressDecline(body: input) { check(decline.body, input, "ADDRESS_DECLINE") }
    }

    private static func check(_ encoded: [UInt8], _ input: UnsafeRawBufferPointer, _ kind: String) {
        precondition(encoded.elementsEqual(input), "\(kind) parsed \(input.count) bytes but encodes \(encoded.count) others")
    }
}
