import MLinkSystem

/// Fixed-size frame buffers for one direction: one anonymous mapping (pages are touched only when used, and
/// the free list is LIFO so the same few stay hot), a free-slot stack, and the arrays one batch read fills.
final class SlotPool {
    private let memory: AnonymousMemory
    private var free: [Int32]
    /// Frame length per slot, vnet header included.
    var lengths: [Int32]
    /// Filled by `take`: the slots and their addresses for one batch read; -1 marks the spare slot used when
    /// every slot is in flight (the frame is read and dropped).
    let batchSlots: UnsafeMutablePointer<Int32>
    let batchPointers: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>

    init() throws {
        let slots = Relay.slotsPerDirection + 1  // the last one is the spare
        memory = try AnonymousMemory(byteCount: slots * Relay.slotSize)
        free = (0..<Int32(Relay.slotsPerDirection)).reversed().map { $0 }
        lengths = [Int32](repeating: 0, count: Relay.slotsPerDirection)
        batchSlots = .allocate(capacity: Relay.batch)
        batchPointers = .allocate(capacity: Relay.batch)
    }

    deinit {
        batchSlots.deallocate()
        batchPointers.deallocate()
    }

    func pointer(_ slot: Int32) -> UnsafeMutablePointer<UInt8> {
        let index = slot < 0 ? Relay.slotsPerDirection : Int(slot)
        return (memory.baseAddress + index * Relay.slotSize).assumingMemoryBound(to: UInt8.self)
    }

    /// Fills the batch arrays with up to `count` free slots (or the spare alone when none is free).
    func take(upTo count: Int) -> Int {
        guard !free.isEmpty else {
            batchSlots[0] = -1
            batchPointers[0] = pointer(-1)
            return 1
        }
        let taken = min(count, free.count)
        for index in 0..<taken {
            let slot = free.removeLast()
            batchSlots[index] = slot
            batchPointers[index] = pointer(slot)
        }
        return taken
    }

    /// Gives back the slots a batch read did not fill.
    func returnUnused(from used: Int, taken: Int) {
        guard used < taken else { return }
        for index in used..<taken { release(batchSlots[index]) }
    }

    func release(_ slot: Int32) {
        if slot >= 0 { free.append(slot) }
    }
}
