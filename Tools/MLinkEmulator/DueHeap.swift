/// A min-heap of frames waiting to leave: (due time, arrival order, buffer slot). Ties leave in arrival order.
struct DueHeap {
    struct Entry {
        var due: Int64
        var order: UInt64
        var slot: Int32
    }

    private var entries: [Entry] = []
    private var nextOrder: UInt64 = 0

    init(capacity: Int) { entries.reserveCapacity(capacity) }

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// The earliest due time, if any frame waits.
    var nextDue: Int64? { entries.first?.due }

    mutating func push(due: Int64, slot: Int32) {
        entries.append(Entry(due: due, order: nextOrder, slot: slot))
        nextOrder &+= 1
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest frame's slot if it is due at `now`.
    mutating func popDue(now: Int64) -> Int32? {
        guard let first = entries.first, first.due <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < entries.count && Self.before(entries[left], entries[smallest]) { smallest = left }
                if right < entries.count && Self.before(entries[right], entries[smallest]) { smallest = right }
                if smallest == parent { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.slot
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.due != b.due ? a.due < b.due : a.order < b.order
    }
}
