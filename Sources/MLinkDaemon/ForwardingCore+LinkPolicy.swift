import MLinkConfig
import MLinkControl
import MLinkSystem
import MLinkTypes
import MLinkProtocol

/// The profile's link roles, costs and copy policy, handed to the engine (issue 14).
extension ForwardingCore {
    /// `mode`, `copies`, `standby-probe` and the keepalive (a cold backup's probe interval).
    static func applyLinkPolicy(of profile: Profile, to configuration: inout EngineConfiguration) {
        configuration.mode = profile.mode == .failover ? .failover : .redundant
        configuration.copies = profile.linkPolicy.copies ?? 0
        // Others route to an announcing host's prefixes: the router must see it die within a second.
        configuration.fastIdleProbing = !profile.routes.announce.isEmpty
        configuration.standbyProbeInterval = UInt64(profile.linkPolicy.standbyProbeMilliseconds) * 1_000_000
        if profile.keepaliveSeconds > 0 {
            configuration.coldProbeInterval = UInt64(profile.keepaliveSeconds) * 1_000_000_000
        } else {
            configuration.coldProbeInterval = configuration.standbyProbeInterval
        }
    }

    /// The engine's policy for the link called `name`: the first `links` entry that matches it.
    func linkPolicy(forLink name: String) -> LinkPolicy {
        let exhausted = budgets.status(of: name, wallSeconds: WallClock.now())?.exhausted ?? false
        return BudgetKeeper.policy(profile.linkPolicy.settings(forLink: name), exhausted: exhausted)
    }

    /// Once a second, and after a flush when a link's headroom ran out (`budgetMeters.crossed`): counts the
    /// metered links' bytes, moves a link whose budget ran out (or reset) to the role `over-budget` says, and
    /// saves the counts when due or when a link's state changed.
    func keepBudgets(now: UInt64) {
        guard budgets.path != nil, now >= nextBudgetCheck || budgetMeters.crossed else { return }
        nextBudgetCheck = now + 1_000_000_000
        var wire: [String: UInt64] = [:]
        for peer in engine.peers {
            for c in peer.connections {
                let s = c.statistics
                let header: UInt64 = c.remote.address.isIPv6 ? 48 : 28
                wire[c.linkName, default: 0] &+= s.txBytes &+ s.rxBytes &+ header &* (s.txPackets &+ s.rxPackets)
            }
        }
        for link in slots.compactMap({ $0?.link.name }) where wire[link] == nil { wire[link] = 0 }
        var changedAny = false
        for change in budgets.update(wireBytes: wire, wallSeconds: WallClock.now()) {
            changedAny = true
            log.info("link \(change.link): budget \(change.exhausted ? "used up" : "available again"); "
                     + "over-budget \(profile.linkPolicy.settings(forLink: change.link).overBudget.rawValue)")
            for (slot, entry) in slots.enumerated() where entry?.link.name == change.link {
                engine.setLinkPolicy(linkPolicy(forLink: change.link), slot: slot)
            }
        }
        setBudgetHeadroom()
        do {
            try budgets.saveIfDue(now: now, force: changedAny)
        } catch {
            log.warning("cannot save the budgets to \(budgets.path ?? ""): \(error)")
        }
    }

    /// Takes what a slot just sent or received off its link's headroom (BudgetMeters.charge).
    @inline(__always)
    func chargeBudget(slot: Int, bytes: Int, datagrams: Int) {
        budgetMeters.charge(slot: slot, bytes: bytes, datagrams: datagrams)
    }

    /// What each metered link may still carry (BudgetKeeper.headroom), one headroom per link however many slots
    /// it has; a link already over budget, or without one, is not watched (its state changes again only with the
    /// day or month, seen by the once-a-second count).
    func setBudgetHeadroom() {
        let wall = WallClock.now()
        budgetMeters.set(slotLinks: slots.map { $0?.link.name }) { budgets.headroom(of: $0, wallSeconds: wall) }
    }

    /// Writes the budgets now (at stop).
    func saveBudgets() {
        do {
            try budgets.saveIfDue(now: 0, force: true)
        } catch {
            log.warning("cannot save the budgets to \(budgets.path ?? ""): \(error)")
        }
    }

    /// Adds each metered link's budget to its report.
    func addBudgets(to links: inout [LinkReport]) {
        let wall = WallClock.now()
        for i in links.indices {
            guard let s = budgets.status(of: links[i].link, wallSeconds: wall) else { continue }
            links[i].budget = BudgetReport(usedToday: s.usedToday, dailyLimit: s.dailyLimit, usedThisMonth: s.usedThisMonth,
                                           monthlyLimit: s.monthlyLimit, monthForecast: s.monthForecast,
                                           exhausted: s.exhausted)
        }
    }
}

extension LinkPolicy {
    /// The engine's form of a profile entry (budgets are kept by the core, which lowers the role when one runs out).
    init(_ settings: Profile.LinkSettings) {
        let role: Role
        switch settings.role {
        case .primary: role = .primary
        case .secondary: role = .secondary
        case .backup: role = .backup
        case .never: role = .never
        }
        self.init(role: role, metered: settings.metered)
    }
}

extension ForwardingCore {
    /// The profile's per-flow policies for the engine (issue 15), or nil when nothing is classified per flow.
    static func policySettings(of profile: Profile) -> PolicySettings? {
        guard profile.policies.isActive(defaultMode: profile.mode) else { return nil }
        let settings = profile.policies
        func engineMode(_ mode: Profile.Mode) -> PolicyMode { PolicyMode(rawValue: mode.rawValue) ?? .redundant }
        var rules: [FlowPolicy] = []
        var defaultPolicy = FlowPolicy(name: "default", mode: engineMode(profile.mode), copies: profile.linkPolicy.copies ?? 0,
                                       maximumOverhead: settings.maximumOverhead)
        for rule in settings.rules {
            let policy = FlowPolicy(name: rule.name, match: rule.match, mode: engineMode(rule.mode), copies: rule.copies ?? 0,
                                    maximumOverhead: rule.maximumOverhead ?? settings.maximumOverhead)
            // A rule named default is the default's settings (it matches everything, so it is the last word).
            if rule.name == "default" { defaultPolicy = policy } else { rules.append(policy) }
        }
        return PolicySettings(policies: rules, defaultPolicy: defaultPolicy,
                              deadline: UInt64(settings.deadlineMilliseconds) * 1_000_000, targetLoss: settings.targetLoss)
    }
}
