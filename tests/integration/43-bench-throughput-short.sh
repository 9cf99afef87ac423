#!/usr/bin/env bash
# The throughput benchmark in its short form (issue 11): scripts/bench.sh --short runs one round of 2 s per
# iperf3 run over bare veth, wireguard-go, mlink over 1 link and mlink over 2 links, then the engine figures
# (packets/s, callgrind instructions per packet, the allocation check) and the cores' system calls. Passes when
# the script exits 0 and printed every row of its table, whatever the numbers (CI checks that the benchmark
# works; the targets are judged by a full run, docs/BENCHMARKS.md). Skips without root. About 75 s.
source "$(dirname "$0")/lib.sh"
need_root
for tool in iperf3 wireguard-go wg valgrind perf python3; do
    command -v "$tool" >/dev/null || skip "needs $tool (scripts/install-deps.sh)"
done
ENGINE=${MLINK_BENCH_ENGINE_BIN:-$(dirname "$MLINK")/mlink-bench-engine}
[ -x "$ENGINE" ] || skip "no mlink-bench-engine at $ENGINE (swift build --build-tests, or set MLINK_BENCH_ENGINE_BIN)"
P=bt$$
P=${P:0:8}
LABS+=("${P}1" "${P}2")
start=$(date +%s)
env -u BENCH_ROUNDS -u BENCH_SECONDS -u BENCH_DOCS -u BENCH_SYSCALL_RATE -u BENCH_BEFORE_MLINK -u BENCH_BEFORE_ENGINE \
    BENCH_LAB=$P MLINK_BIN=$MLINK MLINK_LAB_BIN=$LAB MLINK_BENCH_ENGINE_BIN=$ENGINE \
    "$ROOT/scripts/bench.sh" --short >"$TMP/bench.txt" 2>"$TMP/bench.err"
status=$?
elapsed=$(( $(date +%s) - start ))
sed 's/^/  /' "$TMP/bench.txt"
[ "$status" = 77 ] && skip "$(sed -n 's/^SKIP: //p' "$TMP/bench.txt")"
[ "$status" = 0 ] || { tail -5 "$TMP/bench.err"; fail "scripts/bench.sh --short exited $status"; }
missing=()
number='[0-9]+\.[0-9]+'
rows=("^bare veth +$number +$number +$number +$number$"
      "^wireguard-go \(\*\) +$number +$number +$number +$number$"
      "^mlink 1 link +$number +$number +$number +$number$"
      "^mlink 2 links +$number +$number +$number +$number$"
      "^\(\*\) Debian 12's wireguard-go .* predates wireguard-go's own batching"
      "^mlink 1 link TCP / wireguard-go +$number +$number$"
      "^mlink 1 link TCP / bare veth +$number +$number$"
      "^mlink 1 link UDP / wireguard-go +$number +$number$"
      "^mlink 2 links TCP / 1 link TCP +$number +$number$"
      "^ping idle, 1 link - bare \(ms\) +[-+]$number +[-+]$number$"
      "^ping loaded, 1 link - bare \(ms\) +[-+]$number +[-+]$number$"
      "^  packets/s \([0-9]+ packets\): 1 link [0-9]+, 2 links [0-9]+ = $number"
      "^  instructions per packet \(callgrind, .*\): 1 link [0-9]+, 2 links [0-9]+ = ${number}x$"
      "^  adaptive mode, 2 links \(.+\): [0-9]+ instructions per packet = ${number}x of 1 link"
      "^  allocation check: allocations: [0-9]+ "
      "^  allocation check, adaptive: allocations: [0-9]+ "
      "^  200Mbit/s: iperf3 sent [0-9]+"
      "^  unlimited \(-b 0\): iperf3 sent [0-9]+"
      "^    sender [0-9]+ \(.*\); receiver [0-9]+ \("
      "kernel [^ ;]+"
      "libsodium [^ ;]+"
      "^1-link TCP vs wireguard-go +>= 4x +${number}x +(yes|no) +[0-9]+/1$"
      "^1-link TCP vs bare veth +>= 0.15x +${number}x +(yes|no) +[0-9]+/1$"
      "^UDP 1300 B vs wireguard-go +>= 2x +${number}x +(yes|no) +[0-9]+/1$"
      "^2-link TCP vs 1-link TCP +>= 0.9x +${number}x +(yes|no) +[0-9]+/1$"
      "^ping idle over bare \(1 link\) +<= \+0.06 ms +[-+]$number ms +(yes|no) +[0-9]+/1$"
      "^ping loaded over bare \(1 link\) +<= \+0.06 ms +[-+]$number ms +(yes|no) +[0-9]+/1$"
      "^engine instructions/packet 2 vs 1 +<= 1.15x +${number}x +(yes|no) +[0-9]+/1$"
      "^engine allocations per packet +0 +"
      "^engine instr./packet adaptive vs 1 +<= 1.15x +${number}x +(yes|no) +[0-9]+/1$")
for row in "${rows[@]}"; do
    grep -qE "$row" "$TMP/bench.txt" || missing+=("$row")
done
[ ${#missing[@]} = 0 ] || { printf '  missing: %s\n' "${missing[@]}"; fail "the table lacks ${#missing[@]} row(s)"; }
for ns in "${P}1-a" "${P}1-b" "${P}2-a" "${P}2-b"; do
    ip netns list | grep -q "^$ns\b" && fail "scripts/bench.sh left namespace $ns behind"
done
for socket in "/var/run/wireguard/wg${P}a.sock" "/var/run/wireguard/wg${P}b.sock"; do
    [ -e "$socket" ] && fail "scripts/bench.sh left wireguard-go's socket $socket behind"
done
pass "scripts/bench.sh --short completed in ${elapsed} s and printed every row; its namespaces and wireguard-go are gone"
