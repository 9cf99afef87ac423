import MLinkRoutes

/// The bodies of control kinds 5-8 (docs/PROTOCOL.md §14.2) on arbitrary bytes: the engine hands the daemon
/// a body only after decryption, which random inputs rarely reach, so each input is also parsed as every kind's
/// body. Invariants besides "no crash": what parses re-encodes to the same bytes (the format is canonical), and
/// a table part's items fit its body.
enum RouteBodyFuzzing {
    static func run(_ body: UnsafeRawBufferPointer) {
        if let announce = RouteAnnounce(body: body) {
            let items = Array(announce.items)
            precondition(items.count == announce.items.count, "ROUTE_ANNOUNCE yielded \(items.count) of \(announce.items.count) items")
            let again = RouteAnnounce.encode(generation: announce.generation, items: items)
            precondition(again.elementsEqual(body), "ROUTE_ANNOUNCE does not round-trip")
        }
        if let status = RouteStatus(body: body) {
            let verdicts = (0..<status.count).map(status.verdict(at:))
            precondition(verdicts.count + 6 == body.count, "ROUTE_STATUS count does not match its length")
        }
        if let part = RouteTablePart(body: body) {
            let items = Array(part.items)
            precondition(items.allSatisfy { $0.prefix.hasNoHostBits }, "ROUTE_TABLE accepted host bits")
            precondition(10 + items.reduce(0) { $0 + $1.encodedSize } == body.count, "ROUTE_TABLE items do not fill the body")
            if part.parts == 1 {
                let again = RouteTablePart.encode(generation: part.generation, items: items)
                precondition(again.count == 1 && again[0].elementsEqual(body) || items.count * 20 + 10 > RouteMessages.maximumBodySize,
                             "ROUTE_TABLE does not round-trip")
            }
        }
        if let preferred = PreferredRouter(body: body) {
            precondition(PreferredRouter.encode(isPreferred: preferred.isPreferred).elementsEqual(body), "PREFERRED does not round-trip")
        }
    }

    /// The vectors of docs/PROTOCOL.md §14.2 as seeds.
    static let seeds: [[UInt8]] = [
        [7, 0, 0, 0, 2, 0, 4, 192, 168, 50, 0, 24, 100, 0, 4, 10, 50, 1, 0, 24, 10, 1],
        [7, 0, 0, 0, 2, 0, 0, 2],
        [4, 3, 2, 1, 0, 0, 1, 0, 1, 0, 4, 172, 16, 0, 0, 16, 0, 1],
        [1],
    ]
}
