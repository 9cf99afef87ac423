import MLinkConfig
import MLinkProtocol
import MLinkSystem

/// Daily and monthly budgets of metered links (issue 14): counts each link's wire bytes, keeps the counts across
/// restarts in the state directory, and says when a link's role must change because a budget ran out or reset.
///
/// State file `$MLINK_STATE_DIR/INTERFACE/budgets` (default `/var/lib/mlink/INTERFACE/budgets`, mode 0600), one
/// line per link: `LINK DAY DAY_BYTES MONTH MONTH_BYTES`, DAY = days since 1970-01-01 (UTC), MONTH = year x 12 +
/// month - 1 of the budget month (which starts on the link's `reset-day`). Written every 10 s and at stop.
/// Bytes are on the wire: datagrams plus 28 (IPv4) or 48 (IPv6) bytes of IP and UDP header, sent and received.
final class BudgetKeeper {
    struct Usage: Equatable {
        var day = 0, dayBytes: UInt64 = 0, month = 0, monthBytes: UInt64 = 0
    }

    /// A link's budget as `show` reports it.
    struct Status: Equatable {
        var usedToday: UInt64, dailyLimit: UInt64?
        var usedThisMonth: UInt64, monthlyLimit: UInt64?
        /// The month's use at the current rate by the month's end.
        var monthForecast: UInt64
        var exhausted: Bool
    }

    let path: String?
    private let links: [Profile.LinkSettings]
    private(set) var usage: [String: Usage] = [:]
    /// Wire bytes already counted, per link name (the engine's counters only grow).
    private var counted: [String: UInt64] = [:]
    private var nextSave: UInt64 = 0
    /// Whether each link was over budget at the last update.
    private var wasExhausted: [String: Bool] = [:]

    /// `directory` is where the state file lives; nil keeps nothing across restarts.
    init(links: [Profile.LinkSettings], directory: String?) {
        self.links = links.filter { $0.metered && $0.budget != nil }
        path = self.links.isEmpty ? nil : directory.map { $0 + "/budgets" }
        load()
    }

    /// The state directory of interface `interface`: `$MLINK_STATE_DIR/INTERFACE`, default /var/lib/mlink.
    static func stateDirectory(interface: String) -> String {
        let base = Files.environment("MLINK_STATE_DIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/var/lib/mlink"
        return base + "/" + interface
    }

    private func settings(of link: String) -> Profile.LinkSettings? {
        links.first { Glob.matches($0.pattern, link) }
    }

    /// Adds what each metered link carried since the last call (`wireBytes`: link name -> total so far) at
    /// `wallSeconds` (Unix time); returns the links whose budget state changed, with whether it is now exhausted.
    func update(wireBytes: [String: UInt64], wallSeconds: Double) -> [(link: String, exhausted: Bool)] {
        var changes: [(String, Bool)] = []
        for (link, total) in wireBytes {
            guard let settings = settings(of: link), let budget = settings.budget else { continue }
            let before = wasExhausted[link] ?? false
            let delta = total &- (counted[link] ?? 0)
            counted[link] = total
            var u = rolled(usage[link] ?? Usage(), resetDay: budget.resetDay, wallSeconds: wallSeconds)
            u.dayBytes &+= delta
            u.monthBytes &+= delta
            usage[link] = u
            let after = status(of: link, budget: budget, wallSeconds: wallSeconds).exhausted
            wasExhausted[link] = after
            if after != before { changes.append((link, after)) }
        }
        return changes
    }

    /// Starts the counts afresh on a new day or budget month.
    private func rolled(_ u: Usage, resetDay: Int, wallSeconds: Double) -> Usage {
        var u = u
        let day = Int(wallSeconds / 86400)
        let month = BudgetKeeper.budgetMonth(day: day, resetDay: resetDay)
        if u.day != day { u.day = day; u.dayBytes = 0 }
        if u.month != month { u.month = month; u.monthBytes = 0 }
        return u
    }

    /// The link's budget now; nil when it has none.
    func status(of link: String, wallSeconds: Double) -> Status? {
        guard let budget = settings(of: link)?.budget else { return nil }
        return status(of: link, budget: budget, wallSeconds: wallSeconds)
    }

    private func status(of link: String, budget: Profile.Budget, wallSeconds: Double) -> Status {
        let u = rolled(usage[link] ?? Usage(), resetDay: budget.resetDay, wallSeconds: wallSeconds)
        let (start, end) = BudgetKeeper.monthBounds(u.month, resetDay: budget.resetDay)
        let elapsed = max(wallSeconds - Double(start) * 86400, 3600)
        let forecast = UInt64(Double(u.monthBytes) * Double(end - start) * 86400 / elapsed)
        let exhausted = (budget.daily.map { u.dayBytes >= $0 } ?? false) || (budget.monthly.map { u.monthBytes >= $0 } ?? false)
        return Status(usedToday: u.dayBytes, dailyLimit: budget.daily, usedThisMonth: u.monthBytes,
                      monthlyLimit: budget.monthly, monthForecast: forecast, exhausted: exhausted)
    }

    /// The wire bytes `link` may still carry before one of its budgets runs out (0 when one has); nil when it
    /// has no budget.
    func headroom(of link: String, wallSeconds: Double) -> UInt64? {
        guard let budget = settings(of: link)?.budget else { return nil }
        let u = rolled(usage[link] ?? Usage(), resetDay: budget.resetDay, wallSeconds: wallSeconds)
        var left = UInt64.max
        if let daily = budget.daily { left = min(left, daily > u.dayBytes ? daily - u.dayBytes : 0) }
        if let monthly = budget.monthly { left = min(left, monthly > u.monthBytes ? monthly - u.monthBytes : 0) }
        return left
    }

    /// The engine policy of a link given its profile settings and budget state.
    static func policy(_ settings: Profile.LinkSettings, exhausted: Bool) -> LinkPolicy {
        var policy = LinkPolicy(settings)
        if exhausted {
            policy.role = settings.overBudget == .off ? .never : max(policy.role, .backup)
        }
        return policy
    }

    // MARK: Persistence

    /// Writes the counts when due (every 10 s), or now with `force`.
    func saveIfDue(now: UInt64, force: Bool = false) throws {
        guard let path, force || now >= nextSave else { return }
        nextSave = now + 10_000_000_000
        var text = ""
        for (link, u) in usage.sorted(by: { $0.key < $1.key }) {
            text += "\(link) \(u.day) \(u.dayBytes) \(u.month) \(u.monthBytes)\n"
        }
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        try Files.makeDirectory(directory)
        try Files.writeAtomically(Array(text.utf8), to: path, mode: 0o600)
    }

    private func load() {
        guard let path, let bytes = try? Files.read(path, limit: 1 << 20) else { return }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 5, let day = Int(words[1]), let dayBytes = UInt64(words[2]), let month = Int(words[3]),
                  let monthBytes = UInt64(words[4]) else { continue }
            usage[String(words[0])] = Usage(day: day, dayBytes: dayBytes, month: month, monthBytes: monthBytes)
        }
    }

    // MARK: Calendar (UTC, proleptic Gregorian; no Foundation)

    /// (year, month 1...12, day 1...31) of `days` since 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of (year, month, day) (days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The budget month (year x 12 + month - 1 of the month it started in) that `day` belongs to.
    static func budgetMonth(day: Int, resetDay: Int) -> Int {
        let c = civil(days: day)
        let month = c.year * 12 + c.month - 1
        return c.day >= resetDay ? month : month - 1
    }

    /// The first day of budget month `month` and of the next one.
    static func monthBounds(_ month: Int, resetDay: Int) -> (Int, Int) {
        (days(year: month / 12, month: month % 12 + 1, day: resetDay),
         days(year: (month + 1) / 12, month: (month + 1) % 12 + 1, day: resetDay))
    }
}

/// What each metered link may still carry, charged by the data path at the byte (issue 14): one headroom per
/// link, shared by every slot of that link (a link with two local addresses, IPv4 and IPv6, is one budget: a
/// headroom per slot let it carry the budget's remainder once on each). Slots of a link without a budget to watch
/// are not counted at all.
struct BudgetMeters {
    /// Slot -> index of its link's headroom (-1: not watched).
    private(set) var meterOfSlot: [Int] = []
    /// Per watched link: the wire bytes left, and its name.
    private(set) var headroom: [Int64] = []
    private var names: [String] = []
    /// A headroom reached zero since the last `set`: count and apply the budgets before the next batch.
    private(set) var crossed = false

    /// Recomputes the headrooms (once a second, and after a crossing): `slotLinks` is each slot's link name (nil:
    /// no slot), `left` the bytes a link may still carry (nil: no budget; 0: over budget, not watched any more).
    mutating func set(slotLinks: [String?], left: (String) -> UInt64?) {
        meterOfSlot.removeAll(keepingCapacity: true)
        headroom.removeAll(keepingCapacity: true)
        names.removeAll(keepingCapacity: true)
        crossed = false
        for name in slotLinks {
            guard let name, let bytes = left(name), bytes > 0 else {
                meterOfSlot.append(-1)
                continue
            }
            if let m = names.firstIndex(of: name) {
                meterOfSlot.append(m)
            } else {
                names.append(name)
                headroom.append(Int64(clamping: bytes))
                meterOfSlot.append(headroom.count - 1)
            }
        }
    }

    /// True when `slot`'s traffic is counted.
    @inline(__always)
    func watches(_ slot: Int) -> Bool {
        slot < meterOfSlot.count && meterOfSlot[slot] >= 0
    }

    /// Takes what `slot` just sent or received off its link's headroom (datagrams plus 48 bytes of IP and UDP
    /// header each: IPv6's, so that an IPv4 link is counted early rather than late; the once-a-second count is exact).
    @inline(__always)
    mutating func charge(slot: Int, bytes: Int, datagrams: Int) {
        guard slot < meterOfSlot.count else { return }
        let m = meterOfSlot[slot]
        guard m >= 0 else { return }
        headroom[m] &-= Int64(truncatingIfNeeded: bytes &+ 48 &* datagrams)
        if headroom[m] <= 0 { crossed = true }
    }
}
