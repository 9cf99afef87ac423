import Foundation
import MLinkSystem
import MLinkTypes

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
///    1 ns timer slack, less the learned lateness of timer wake-ups (`wakeLead`, at most 1 ms; a timer wake-up
///    sends what falls due within it): no busy waiting, and frames leave at their due time on average also where
///    the host delivers timer interrupts late.
/// SIGHUP re-reads the configuration file (how `mlink-lab set` reaches us); SIGTERM and SIGINT stop the loop.
/// Counters are written to the stats file once a second and at exit.
public final class Relay {
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
    /// Wire bytes per direction by mlink message type, written next to the counters (`STATS.types`).
    private var tallies = [WireTally(), WireTally()]
    private var heaps = [DueHeap(capacity: Relay.slotsPerDirection), DueHeap(capacity: Relay.slotsPerDirection)]
    private var pools: [SlotPool]
    /// The sockets on interfaces `a` and `b`; direction 0 reads from `a` and sends on `b`.
    private let sockets: [PacketSocket]
    private let timer: TimerDescriptor
    private let signals: SignalDescriptor
    private let epoll: Epoll
    private var armedAt: Int64 = -1
    /// When the armed timer was set to fire (its due time less `wakeLead`), and whether it fired this turn.
    private var armedFor: Int64 = -1
    private var timerFired = false
    /// How late timer wake-ups arrive here, learned (ns, at most 1 ms): the timer is armed that much early and a
    /// timer wake-up sends what falls due within it, so frames leave at their due time on average. On a VM whose
    /// host delivers timer interrupts 0.3-0.5 ms late, a 20 ms delay measured 20.7 ms without it.
    private var wakeLead: Int64 = 0

    /// What each epoll token stands for.
    private enum Token: UInt64 {
        case socketA, socketB, timer, signals
    }

    /// Why the relay could not start: the configuration file is missing or not a `WireEmulation`.
    public struct ConfigurationError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "reading \(path): \(reason)" }
    }

    /// Opens both sockets (interfaces `a` and `b`, in this process's namespace) and reads the configuration.
    /// Every descriptor is owned by an MLinkSystem type, so a failure half-way closes what was opened.
    public init(a: String, b: String, configPath: String, statsPath: String) throws {
        self.configPath = configPath
        self.statsPath = statsPath
        emulation = try Relay.readConfiguration(configPath)
        random = SplitMix64(seed: emulation.seed)
        pools = [try SlotPool(), try SlotPool()]
        sockets = [try PacketSocket(interface: a, receiveBufferBytes: 8 << 20, batchCapacity: Relay.batch),
                   try PacketSocket(interface: b, receiveBufferBytes: 8 << 20, batchCapacity: Relay.batch)]
        timer = try TimerDescriptor()
        signals = try SignalDescriptor()
        epoll = try Epoll(capacity: 8)
        try epoll.add(sockets[0].descriptor.rawValue, token: Token.socketA.rawValue)
        try epoll.add(sockets[1].descriptor.rawValue, token: Token.socketB.rawValue)
        try epoll.add(timer.descriptor.rawValue, token: Token.timer.rawValue)
        try epoll.add(signals.descriptor.rawValue, token: Token.signals.rawValue)
        TimerDescriptor.usePreciseTimerSlack()
        load(now: Relay.now())
    }

    /// Where the relay whose counters go to `statsPath` writes its `WireTally`s (`{"forward":…,"backward":…}`).
    public static func tallyPath(_ statsPath: String) -> String { statsPath + ".types" }

    /// CLOCK_MONOTONIC in nanoseconds: the clock every lab namespace shares, and the one `epoch` is on.
    public static func now() -> Int64 { Int64(MonotonicClock.now()) }

    static func readConfiguration(_ path: String) throws -> WireEmulation {
        let bytes: [UInt8]?
        do {
            bytes = try Files.read(path)
        } catch {
            throw ConfigurationError(path: path, reason: (error as? SystemError)?.reason ?? "\(error)")
        }
        guard let bytes else { throw ConfigurationError(path: path, reason: "no such file") }
        do {
            return try JSONDecoder().decode(WireEmulation.self, from: Data(bytes))
        } catch {
            throw ConfigurationError(path: path, reason: "\(error)")
        }
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
    public func runRelayLoop() {
        log("relay loop starting: forward \(emulation.forward.words), backward \(emulation.backward.words), "
            + "\(emulation.script.count) script steps")
        var nextStats = Relay.now()
        var running = true
        while running {
            do {
                try epoll.wait(timeoutMilliseconds: 1000) { token in
                    switch Token(rawValue: token) {
                    case .socketA: receive(direction: 0)
                    case .socketB: receive(direction: 1)
                    case .timer: drainTimer()
                    case .signals: running = handleSignals()
                    case nil: break
                    }
                }
            } catch {
                log("epoll_wait: \(error)")
                break
            }
            let now = Relay.now()
            advanceScript(now: now)
            let horizon = timerFired ? now + wakeLead : now
            timerFired = false
            flush(direction: 0, now: horizon)
            flush(direction: 1, now: horizon)
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
            let socket = sockets[direction]
            var received = 0
            var failed = false
            do {
                received = try socket.receive(into: pool.batchPointers, bufferSize: Relay.slotSize, count: taken)
            } catch {
                log("\(error)")
                failed = true
            }
            let now = Relay.now()
            for index in 0..<received {
                let slot = pool.batchSlots[index]
                let length = socket.lengths[index]
                // Truncated frames come back longer than the slot; runts shorter than header plus Ethernet.
                guard length > PacketSocket.virtioHeaderLength + 14, length <= Relay.slotSize, slot >= 0 else {
                    engines[direction].counters.received += 1
                    engines[direction].counters.overflow += 1
                    pool.release(slot)
                    continue
                }
                pool.lengths[Int(slot)] = Int32(length)
                tallies[direction].count(frame: pool.pointer(slot) + PacketSocket.virtioHeaderLength,
                                         length: length - PacketSocket.virtioHeaderLength)
                // Rate limits count the frame as it is on the wire, without the vnet header.
                if let due = engines[direction].admit(bytes: length - PacketSocket.virtioHeaderLength, now: now,
                                                      epoch: epoch, random: &random) {
                    heaps[direction].push(due: due, slot: slot)
                } else {
                    pool.release(slot)
                }
            }
            pool.returnUnused(from: received, taken: taken)
            // Under a flood the socket never runs dry: send what is already due after every batch, so that
            // frames with little or no delay do not pile up in the slots (and overflow) while we keep reading.
            flush(direction: direction, now: now)
            if received < taken || received == 0 || failed { return }
        }
    }

    private func flush(direction: Int, now: Int64) {
        let pool = pools[direction]
        let out = sockets[1 - direction]
        while let slot = heaps[direction].popDue(now: now) {
            if out.send(pool.pointer(slot), count: Int(pool.lengths[Int(slot)])) {
                engines[direction].counters.forwarded += 1
            } else {
                engines[direction].counters.sendFailed += 1
            }
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
        armedFor = next - wakeLead
        do {
            try timer.arm(at: UInt64(max(0, armedFor)))
        } catch {
            log("\(error)")
        }
    }

    private func drainTimer() {
        _ = try? timer.acknowledge()
        if armedFor > 0 {
            let late = min(max(Relay.now() - armedFor, 0), 1_000_000)
            wakeLead += (late - wakeLead) / 16
        }
        timerFired = true
        armedAt = -1
    }

    /// Returns false when asked to stop.
    private func handleSignals() -> Bool {
        var keepRunning = true
        while let signal = signals.next() {
            if signal == ProcessSignal.hangUp {
                do {
                    emulation = try Relay.readConfiguration(configPath)
                    load(now: Relay.now())
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
        let types = ["forward": tallies[0], "backward": tallies[1]]
        guard let data = try? JSONEncoder().encode(stats), let typeData = try? JSONEncoder().encode(types) else { return }
        do {
            try Files.writeAtomically(Array(data), to: statsPath, mode: 0o644)
            try Files.writeAtomically(Array(typeData), to: Relay.tallyPath(statsPath), mode: 0o644)
        } catch {
            log("writing stats: \(error)")
        }
    }

    private func log(_ text: String) {
        FileHandle.standardError.write(Data("mlink-lab relay: \(text)\n".utf8))
    }
}
