#!/usr/bin/env bash
# The availability benchmark in its short form (issue 5): every scenario in examples/lab/scenarios for its
# short-seconds (4-6 s each, about 20 s per scenario with set-up), the stream over net0 alone, net1 alone,
# wireguard-go and mlink at once. `mlink-lab bench --check` fails a scenario when mlink's availability (packets
# in time / sent) falls below the best single link's by more than z=3.29 standard errors of the difference,
# when its loss exceeds the ideal (product of the links' loss) by more than z=3.29 binomial standard errors
# (variance floored at 1/n and inflated by the burst-loss chain's (1+rho)/(1-rho)), when the application sees
# a duplicate, or when mlink's audio arrives on average more than 5 ms later than the fastest live link's delay
# (in the outage scenario: its delay follows the faster live link). BenchResult.swift documents the margins.
source "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "needs python3"
bench_lab emb
"$LAB" bench "$ROOT"/examples/lab/scenarios/*.yaml --short --check --name "$L" --out "$TMP/bench" \
    >"$TMP/bench.txt" 2>"$TMP/bench.err"
status=$?
grep -E "^scenario|mlink \(both|check|ideal" "$TMP/bench.txt" | sed 's/^/  /'
[ "$status" = 0 ] || { tail -5 "$TMP/bench.err"; fail "bench --check exited $status"; }
pass "every scenario's short run: mlink's availability >= the best single link's, loss within the ideal's margin"
