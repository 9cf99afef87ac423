/// One counter of a counter set: the name every consumer uses, and where its value lives.
///
/// `name` is the key in `show --json`, the word in the core's drop log and the stem of the Prometheus metric
/// (`unit`, when given, is appended there by the Prometheus naming convention: `mlink_peer_delivered_packets_total`).
public struct CounterField<Counters>: @unchecked Sendable {
    /// The snake_case name: JSON key, log word, metric stem.
    public let name: String
    /// The Prometheus unit suffix (`packets`, `bytes`), or nil when the name already says it.
    public let unit: String?
    /// One sentence for the metric's HELP line and the manual.
    public let help: String
    /// Where the value is stored.
    public let keyPath: WritableKeyPath<Counters, UInt64>

    public init(_ name: String, unit: String? = nil, _ keyPath: WritableKeyPath<Counters, UInt64>, help: String) {
        self.name = name
        self.unit = unit
        self.help = help
        self.keyPath = keyPath
    }
}

/// A set of `UInt64` counters that lists its fields once, so JSON, metrics and logs cannot disagree.
public protocol CounterSet: Equatable, Sendable {
    /// Every counter, in report order.
    static var fieldList: [CounterField<Self>] { get }
    /// All counters zero.
    init()
}

extension CounterSet {
    /// The counters as (name, value) pairs, in `fieldList` order.
    public var fields: [(name: String, value: UInt64)] {
        Self.fieldList.map { ($0.name, self[keyPath: $0.keyPath]) }
    }

    /// The value of the counter called `name`, or nil when there is none.
    public subscript(field name: String) -> UInt64? {
        Self.fieldList.first { $0.name == name }.map { self[keyPath: $0.keyPath] }
    }

    /// The counters that grew since `earlier`, with how much, in `fieldList` order (wrapping: a counter that
    /// went down, as after a restart, reports nothing).
    public func increases(since earlier: Self) -> [(name: String, increase: UInt64)] {
        Self.fieldList.compactMap { field in
            let now = self[keyPath: field.keyPath], before = earlier[keyPath: field.keyPath]
            return now > before ? (field.name, now - before) : nil
        }
    }

    func encodeFields(into container: inout KeyedEncodingContainer<FieldKey>) throws {
        for field in Self.fieldList { try container.encode(self[keyPath: field.keyPath], forKey: FieldKey(field.name)) }
    }

    /// Reads every field by name; a field the sender did not know (an older core) reads as 0.
    init(fieldsOf container: KeyedDecodingContainer<FieldKey>) throws {
        self.init()
        for field in Self.fieldList {
            self[keyPath: field.keyPath] = try container.decodeIfPresent(UInt64.self, forKey: FieldKey(field.name)) ?? 0
        }
    }
}

/// A JSON key given by a counter's name.
struct FieldKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
