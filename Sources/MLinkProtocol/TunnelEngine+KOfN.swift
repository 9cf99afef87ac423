/// k-of-n striping with parity for adaptive mode (issue 15 item 2): with n >= 3 candidate links, the data packets
/// rotate over the n - 1 best links and one parity packet per block of k = n - 1 goes on the n-th (PROTOCOL.md
/// section 15's blocks, XOR for m = 1). Every block then has one shard per link, so a link cut costs each block at
/// most one shard and the receiver rebuilds it: 2-of-3 survives a cut at 50% extra bytes, where duplication on two
/// links pays 100% and a cut of the primary loses until the re-plan.
///
/// It replaces a plan that costs as much or more: parity with k <= n - 1 on one other link (same bytes, and a cut
/// of the primary costs nothing), and duplication when its residual loss meets the target or duplication's 100%
/// is over `max-overhead`; never the "duplicate at once" answer to a primary that is not up.
/// Residual: a data packet on link i is lost when link i loses it and another shard of its block is lost too,
/// p_i x (1 - prod over the block's other links j of (1 - p_j)), averaged over the data links.
extension TunnelEngine {
    /// At most this many links take part (k + m <= 8: one shard per link).
    static let maximumStripeLinks = 8

    /// Adjusts `wanted` (TunnelEngine+Policy.swift's plan for `peer`) to k-of-n striping when it pays: the
    /// candidates are `scratch.links[0..<candidates]`, earliest arrival first, with their loss in `scratch`.
    func planStriping(_ wanted: inout AdaptivePlan, peer: Peer, candidates: Int, scratch: PlanScratch, target: Double,
                      maximumOverhead: Double) {
        peer.stripeData.removeAll(keepingCapacity: true)
        let n = min(candidates, TunnelEngine.maximumStripeLinks)
        let links = scratch.links
        guard n >= 3, peer.connections[scratch.connection[links[0]]].state == .up else { return }
        let k = n - 1
        // What the wanted parity really costs: a block closes after its delay with the packets that came (k
        // capped by the rate, as the planner counts it).
        let deadline = policySettings?.deadline ?? 150_000_000
        let fill = max(2, Int(peer.adaptiveRate * Double(TunnelEngine.parityDelay(deadline)) / 1e9))
        let costsAsMuch = wanted.level == .duplicate || (wanted.level == .parity && min(wanted.parityK, fill) <= k)
        guard costsAsMuch else { return }
        var residual = 0.0
        var survives = 1.0
        for i in 0..<n { survives *= 1 - scratch.loss[links[i]] }
        for i in 0..<k {
            let p = scratch.loss[links[i]]
            let others = p < 1 ? survives / (1 - p) : 0
            residual += p * (1 - others) / Double(k)
        }
        // Duplication is replaced when striping meets the target, or when duplication's 100% is over the
        // overhead allowed anyway (the strongest protection within it); parity that costs as much always is.
        guard residual <= target || wanted.level == .parity || maximumOverhead < 1 else { return }
        wanted.level = .parity
        wanted.parityK = k
        wanted.parityLink = links[k]
        for i in 0..<k { peer.stripeData.append(links[i]) }
    }

    /// The link for the next adaptive data packet: the next of the striped data links, or `primary` without
    /// striping.
    @inline(__always)
    func adaptiveDataLink(_ peer: Peer, primary: Int) -> Int {
        let count = peer.stripeData.count
        guard count > 1, peer.adaptive.level == .parity else { return primary }
        peer.stripeNext = peer.stripeNext + 1 < count ? peer.stripeNext + 1 : 0
        return peer.stripeData[peer.stripeNext]
    }
}
