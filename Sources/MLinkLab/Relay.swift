import CMLinkLabShims
import Foundation
#if canImport(Glibc)
import Glibc
import MLinkTypes
#endif

/// The link emulator of one net: a process in the lab's wire namespace bridging the net's two inner veth
/// ends with AF_PACKET sockets, one `DirectionEngine` per direction deciding what is dropped and when the
/// rest leaves.
///
/// The loop (`runRelayLoop`), one thread, no allocation per frame:
/// 1. epoll waits for either socket, the timer, a signal, or 1 s;
/// 2. a readable socket is drained in batches of up to 64 frames (`recvmmsg`) straight into free buffer slots;
///    each frame is admitted or dropped by its direction's engine, admitted frames enter that direction's
///    min-heap keyed by due time, and after each batch the frames already due leave;
/// 3. the time script advances (steps whose time passed are applied, in order);
/// 4. every frame now due leaves on the other socket (vnet header kept, so checksum offload survives);
/// 5. the timerfd is armed at the earliest remaining due time or script step, absolute CLOCK_MONOTONIC, with
///    1 ns timer slack: wake-ups are precise to tens of microseconds without busy waiting.
/// SIGHUP re-reads the configuration file (how `mlink-lab set` reaches us); SIGTERM and SIGINT stop the loop.
/// Counters are written to the stats file once a second and at exit.
final class Relay {
    /// Frames larger than a slot (64 KiB GSO frames fit) are dropped and counted as overflow.
    static let slotSize = 65_536 + 64
    /// Frames in flight per direction: 8192, enough for 500 ms of delay at 16k frames/s.
    static let slotsPerDirection = 8192
    static let batch = 64

    private let configPath: String
    private let statsPath: String
    private var emulation: WireEmulation
    private var epoch: Int64 = 0
    private var scriptIndex = 0
    private var random: SplitMix64
    private var engines = [DirectionEngine(), DirectionEngine()]
    private var heaps = [DueHeap(capacity: Relay.slotsPerDirection), DueHeap(capacity: Relay.slotsPerDirection)]
    private var pools: [SlotPool]
    private let sockets: [Int32]
    private let timer: Int32
    private let signals: Int32
    private let epollFD: Int32
    private var armedAt: Int64 = -1

    /// Why the relay could not start.
    struct StartError: Error, CustomStringConvertible {
        var what: String
        var errno: Int32
        var description: String { "\(what): \(String(cString: strerror(errno)))" }
    }

    /// Opens both sockets (interfaces `a` and `b`, in this process's namespace) and reads the configuration.
    init(a: String, b: String, configPath: String, statsPath: String) throws {
        self.configPath = configPath
        self.statsPath = statsPath
        emulation = try Relay.readConfiguration(configPath)
        random = SplitMix64(seed: emulation.seed)
        pools = [try SlotPool(), try SlotPool()]
        var opened: [Int32] = []
        func check(_ value: Int32, _ what: String) throws -> Int32 {
            guard value >= 0 else {
                for fd in opened { close(fd) }
                throw StartError(what: what, errno: -value)
            }
            opened.append(value)
            return value
        }
        let socketA = try check(mlink_lab_packet_open(a, 8 << 20), "AF_PACKET socket on \(a)")
        let socketB = try check(mlink_lab_packet_open(b, 8 << 20), "AF_PACKET socket on \(b)")
        sockets = [socketA, socketB]
        timer = try check(mlink_lab_timer_open(), "timerfd_create")
        let wanted: [Int32] = [SIGHUP, SIGTERM, SIGINT]
        signals = try check(mlink_lab_signal_open(wanted, Int32(wanted.count)), "signalfd")
        epollFD = try check(epoll_create1(Int32(EPOLL_CLOEXEC)), "epoll_create1")
        for fd in [socketA, socketB, timer, signals] {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.fd = fd
            guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
                let saved = errno
                for fd in opened { close(fd) }
                throw StartError(what: "epoll_ctl", errno: saved)
            }
        }
        mlink_lab_precise_timers()
        load(now: mlink_lab_now_ns())
    }

    deinit {
        for fd in sockets + [timer, signals, epollFD] { close(fd) }
    }

    static func readConfiguration(_ path: String) throws -> WireEmulation {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StartError(what: "reading \(path)", errno: errno)
        }
        return try JSONDecoder().decode(WireEmulation.self, from: data)
    }

    /// Takes `emulation` as the base settings and replays the script steps already due.
    private func load(now: Int64) {
        epoch = emulation.epoch > 0 ? emulation.epoch : now
        engines[0].settings = emulation.forward
        engines[1].settings = emulation.backward
        scriptIndex = 0
        advanceScript(now: now)
    }

    private func advanceScript(now: Int64) {
        let script = emulation.script
        while scriptIndex < script.count && epoch + Int64(script[scriptIndex].at * 1e9) <= now {
            let step = script[scriptIndex]
            for word in step.settings {
                if step.direction != .backward { try? engines[0].settings.apply(word) }
                if step.direction != .forward { try? engines[1].settings.apply(word) }
            }
            scriptIndex += 1
        }
    }

    /// Runs until SIGTERM or SIGINT.
    func runRelayLoop() {
        log("relay loop starting: forward \(emulation.forward.words), backward \(emulation.backward.words), "
            + "\(emulation.script.count) script steps")
        var events = [epoll_event](repeating: epoll_event(), count: 8)
        var nextStats = mlink_lab_now_ns()
        var running = true
        while running {
            let ready = epoll_wait(epollFD, &events, Int32(events.count), 1000)
            if ready < 0 && errno != EINTR { log("epoll_wait: \(String(cString: strerror(errno)))"); break }
            for index in 0..<max(0, Int(ready)) {
                let fd = events[index].data.fd
                if fd == sockets[0] { receive(direction: 0) }
                else if fd == sockets[1] { receive(direction: 1) }
                else if fd == timer { drainTimer() }
                else if fd == signals { running = handleSignals() }
            }
            let now = mlink_lab_now_ns()
            advanceScript(now: now)
            flush(direction: 0, now: now)
            flush(direction: 1, now: now)
            arm()
            if now >= nextStats {
                writeStats()
                nextStats = now + 1_000_000_000
            }
        }
        writeStats()
        log("relay loop stopped: forward \(engines[0].counters), backward \(engines[1].counters)")
    }

    private func receive(direction: Int) {
        let pool = pools[direction]
        while true {
            let taken = pool.take(upTo: Relay.batch)
            let count = mlink_lab_recv_batch(sockets[direction], pool.batchPointers, Relay.slotSize,
                                             pool.batchLengths, Int32(taken))
            let received = max(0, Int(count))
            let now = mlink_lab_now_ns()
            for index in 0..<received {
                let slot = pool.batchSlots[index]
                let length = Int(pool.batchLengths[index])
                guard length > Int(MLINK_LAB_VNET_HDR_LEN) + 14, slot >= 0 else {
                    engines[direction].counters.received += 1
                    engines[direction].counters.overflow += 1
                    pool.release(slot)
                    continue
                }
                pool.lengths[Int(slot)] = Int32(length)
                // Rate limits count the frame as it is on the wire, without the vnet header.
                if let due = engines[direction].admit(bytes: length - Int(MLINK_LAB_VNET_HDR_LEN), now: now,
                                                      epoch: epoch, random: &random) {
                    heaps[direction].push(due: due, slot: slot)
                } else {
                    pool.release(slot)
                }
            }
            pool.returnUnused(from: received, taken: taken)
            if count < 0 { log("recvmmsg: \(String(cString: strerror(-count)))") }
            // Under a flood the socket never runs dry: send what is already due after every batch, so that
            // frames with little or no delay do not pile up in the slots (and overflow) while we keep reading.
            flush(direction: direction, now: now)
            if received < taken || count <= 0 { return }
        }
    }

    private func flush(direction: Int, now: Int64) {
        let pool = pools[direction]
        let out = sockets[1 - direction]
        while let slot = heaps[direction].popDue(now: now) {
            let result = mlink_lab_send(out, pool.pointer(slot), Int(pool.lengths[Int(slot)]))
            if result == 0 { engines[direction].counters.forwarded += 1 } else { engines[direction].counters.sendFailed += 1 }
            pool.release(slot)
        }
    }

    private func arm() {
        var next: Int64 = 0
        for due in [heaps[0].nextDue, heaps[1].nextDue] {
            if let due { next = next == 0 ? due : min(next, due) }
        }
        if scriptIndex < emulation.script.count {
            let step = epoch + Int64(emulation.script[scriptIndex].at * 1e9)
            next = next == 0 ? step : min(next, step)
        }
        guard next != armedAt else { return }
        armedAt = next
        _ = mlink_lab_timer_arm(timer, next)
    }

    private func drainTimer() {
        var expirations: UInt64 = 0
        _ = read(timer, &expirations, 8)
        armedAt = -1
    }

    /// Returns false when asked to stop.
    private func handleSignals() -> Bool {
        var info = signalfd_siginfo()
        var keepRunning = true
        while read(signals, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            if info.ssi_signo == UInt32(SIGHUP) {
                do {
                    emulation = try Relay.readConfiguration(configPath)
                    load(now: mlink_lab_now_ns())
                    log("reloaded: forward \(emulation.forward.words), backward \(emulation.backward.words), "
                        + "\(emulation.script.count) script steps")
                } catch {
                    log("reload failed, keeping the old settings: \(error)")
                }
            } else {
                keepRunning = false
            }
        }
        return keepRunning
    }

    private func writeStats() {
        let stats = ["forward": engines[0].counters, "backward": engines[1].counters]
        guard let data = try? JSONEncoder().encode(stats) else { return }
        let temporary = statsPath + ".tmp"
        if FileManager.default.createFile(atPath: temporary, contents: data) { rename(temporary, statsPath) }
    }

    private func log(_ text: String) {
        FileHandle.standardError.write(Data("mlink-lab relay: \(text)\n".utf8))
    }
}

/// Fixed-size frame buffers for one direction: one anonymous mapping (pages are touched only when used, and
/// the free list is LIFO so the same few stay hot), a free-slot stack, and the arrays one batch read fills.
final class SlotPool {
    private let base: UnsafeMutableRawPointer
    private let mappedBytes: Int
    private var free: [Int32]
    /// Frame length per slot, vnet header included.
    var lengths: [Int32]
    /// Filled by `take`: the slots and their addresses for one `recvmmsg`; -1 marks the spare slot used when
    /// every slot is in flight (the frame is read and dropped).
    let batchSlots: UnsafeMutablePointer<Int32>
    let batchPointers: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    let batchLengths: UnsafeMutablePointer<UInt32>

    init() throws {
        let slots = Relay.slotsPerDirection + 1  // the last one is the spare
        mappedBytes = slots * Relay.slotSize
        let mapped = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { throw Relay.StartError(what: "mmap", errno: errno) }
        base = mapped
        free = (0..<Int32(Relay.slotsPerDirection)).reversed().map { $0 }
        lengths = [Int32](repeating: 0, count: Relay.slotsPerDirection)
        batchSlots = .allocate(capacity: Relay.batch)
        batchPointers = .allocate(capacity: Relay.batch)
        batchLengths = .allocate(capacity: Relay.batch)
    }

    deinit {
        munmap(base, mappedBytes)
        batchSlots.deallocate()
        batchPointers.deallocate()
        batchLengths.deallocate()
    }

    func pointer(_ slot: Int32) -> UnsafeMutablePointer<UInt8> {
        let index = slot < 0 ? Relay.slotsPerDirection : Int(slot)
        return (base + index * Relay.slotSize).assumingMemoryBound(to: UInt8.self)
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
