/// The loss-run model of one path in the direction we send (issue 15, policies.md section 5.3): how long its loss
/// runs are, from the peer's NACKs of packets the path carried alone. A Gilbert-Elliott path (the lab's `lte`:
/// p = 0.5%, r = 25%) loses in runs of mean 1/r = 4 packets; random loss in runs of mean 1/(1 - loss) ~ 1.
///
/// The adaptive planner needs it because its protections fail differently under bursts:
///   - XOR parity (one parity per k packets) repairs one loss per block: a run of two or more inside a block is
///     lost whatever k is, so its residual is about p x (1 - 1/L) for mean run L (`parityResidual`);
///   - a run of NACKs is only "severe" (escalate at once) when it is longer than the model makes likely
///     (`severeRun`); at mean run 4, 8 NACKs in 16 packets happen at every eighth burst.
/// Cross-link retransmission repairs each lost packet by itself, so runs do not weaken it.
struct BurstModel: Equatable {
    /// The mean loss-run length in packets: an average over runs (gain 1/16), 1 until a run was seen.
    private(set) var meanRun = 1.0
    /// Loss runs counted (the first sets the mean at once, later ones move it by 1/16).
    private(set) var runs: UInt64 = 0

    /// Runs longer than this count as this long: a cut path is the silence alarm's, not the burst model's.
    static let longestRun = 64

    /// Folds in a loss run of `length` packets (>= 1).
    mutating func addRun(_ length: Int) {
        let run = Double(min(max(length, 1), BurstModel.longestRun))
        meanRun = runs == 0 ? run : meanRun + (run - meanRun) / 16
        runs &+= 1
    }

    /// The probability that a run is at least `n` packets long, the runs' lengths geometric with the mean
    /// `meanRun` (Gilbert-Elliott with loss in the bad state): (1 - 1/L)^(n-1).
    func runAtLeast(_ n: Int) -> Double {
        pow(1 - 1 / max(meanRun, 1), n - 1)
    }

    /// How many NACKed packets within `span` consecutive ones make a burst worth escalating for: the smallest
    /// count at least `floor` that at most one run in 256 reaches, at most `span`.
    func severeRun(floor: Int, span: Int) -> Int {
        var n = floor
        while n < span && runAtLeast(n) > 1.0 / 256 { n += 1 }
        return n
    }

    /// The residual loss of XOR parity over blocks of `k` packets on a path losing `p` (in runs of mean
    /// `meanRun`), the parity on a path losing `q`: a loss stays lost unless its run is one packet long, the
    /// block's other packets arrived and so did the parity. At mean run 1 this is the independent-loss figure
    /// p x (1 - (1-p)^(k-1) x (1-q)).
    func parityResidual(p: Double, q: Double, k: Int) -> Double {
        let alone = 1 / max(meanRun, 1)
        return p * (1 - pow(1 - p, k - 1) * (1 - q) * alone)
    }
}
