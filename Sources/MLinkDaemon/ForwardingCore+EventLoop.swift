import MLinkConfig
import MLinkNetlink
import MLinkProtocol
import MLinkSystem
import MLinkTypes

/// The event loop: epoll over the TUN device, the link sockets, the control and metrics clients, signals, netlink
/// and the resolver, with the engine's timers every `tickInterval`. The data path it drives is DataPath.swift.
extension ForwardingCore {
    /// Runs until a stop request or a termination signal. `ready` is called once everything is listening.
    public func runEventLoop(ready: () -> Void) throws {
        // Also when the loop ends by an error (the TUN device deleted under it): no table or rule left behind.
        defer { sourceRouting.removeAll() }
        defer { saveBudgets() }
        log.info("forwarding core for \(tun.name) started (\(profile.role.rawValue), \(slots.compactMap { $0 }.count) link addresses)")
        ready()
        var nextTick: UInt64 = 0
        while running {
            // Sockets first, then the timers: each turn reads what is ready (without waiting when a tick is already
            // due) and only then ticks. Timers first, the first tick after a stall of this process (descheduled
            // on a loaded machine) judged every path by a silence whose replies were still unread in its sockets,
            // and sent PATH_SILENT for it (2 runs of 10 of the lab's failover test moved a healthy bundle so).
            // Between ticks it also wakes when a stream's silence crosses its PATH_SILENT threshold (the engine's
            // `silenceDue`), so a cut is alarmed then, not up to a tick later.
            let now = MonotonicClock.now()
            let due = min(nextTick, engine.silenceDue)
            // Rounded up: rounded down, a tick 4.9 ms away took a 4 ms wait and then a 1 ms one (two wake-ups).
            let timeout = Int32((due - min(now, due) + 999_999) / 1_000_000)
            try epoll.wait(timeoutMilliseconds: timeout) { token in
                switch token {
                case Token.tun.rawValue: try drainTun()
                case Token.control.rawValue: acceptControlClients()
                case Token.resolver.rawValue: collectResolution()
                case Token.gateways.rawValue: collectGateways()
                case Token.signals.rawValue: handleSignals()
                case Token.netlink.rawValue: handleLinkChanges()
                case ..<ForwardingCore.slotTokenBase: handleClientEvent(token: token)
                default: try drainSocket(slot: Int(token - ForwardingCore.slotTokenBase))
                }
            }
            let woke = MonotonicClock.now()
            afterWake(now: woke)
            if woke >= nextTick {
                runTimers(now: woke)
                nextTick = woke + ForwardingCore.tickInterval
            } else if woke >= engine.silenceDue {
                engine.checkSilence(now: woke, into: out)
                flush()
            }
        }
        finishLeases()
        withdrawRoutesAtStop()
        engine.close(now: MonotonicClock.now(), into: out)
        flush()
        log.info("forwarding core for \(tun.name) stopped")
    }

    func runTimers(now: UInt64) {
        dropReport.report(now: now, log: log) { statusReport(now: now) }
        if let held = silenceLog.summary(now: now) { log.info(held) }
        runRoutingTimers(now: now)
        runRouteTimers(now: now)
        expireClients(now: now)
        keepBudgets(now: now)
        engine.tick(now: now, into: out)
        drainReordered(now: now)
        flush()
    }

    func handleSignals() {
        while let signal = signals.next() {
            log.info("signal \(signal): stopping")
            running = false
        }
    }

    /// Stops the loop at its next turn (used by the control socket's `stop`).
    func requestStop() {
        running = false
    }
}
