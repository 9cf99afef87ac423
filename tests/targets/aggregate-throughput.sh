#!/usr/bin/env bash
# Aggregate mode (issue 15 item 4; PROTOCOL.md section 16): vm0's two links to the router are rate-limited by
# the emulator, net0 at 20 Mbit/s with 10 ms delay, net1 at 8 Mbit/s with 20 ms (the bench's 50/20 Mbit/s pair
# scaled to what a debug build carries on a shared 2-core machine). One TCP flow vm0 -> vm1 runs first over each
# bare link (the baselines, in this run), then through mlink with both ends `mode: aggregate`. Passes when the
# tunnel carries >= 1.2x the better link (the issue's target) and the striped packets reached TCP in order: the
# router's reorder buffer released packets that waited, and the sender's kernel detected reordering (nstat
# TcpExt*Reorder) at most once per 1000 segments sent (unbuffered striping over these links reorders about
# every other segment).
# About 30 s. Kept out of the suite while it fails (tests/targets/README.md).
source "$(dirname "$0")/../integration/lib-rt.sh"
need_root
command -v iperf3 >/dev/null || skip "needs iperf3 (scripts/install-deps.sh)"
seconds=${AGGREGATE_SECONDS:-8}
sed -E -e 's/^(  net0: \{ends: \[.*\])\}$/\1, emulate: {delay: 10ms, rate: 20mbit, queue: 50ms}}/' \
       -e 's/^(  net1: \{ends: \[.*\])\}$/\1, emulate: {delay: 20ms, rate: 8mbit, queue: 50ms}}/' \
    "$ROOT/examples/lab/seed.yaml" >"$TMP/seed.yaml"
[ "$(grep -c 'rate: ' "$TMP/seed.yaml")" = 2 ] || fail "could not emulate net0 and net1"
seed_lab ag$$ "$TMP/seed.yaml"

# tcp ADDRESS SECONDS: one TCP flow vm0 -> vm1's ADDRESS; prints Mbit/s received.
tcp() {
    in_host vm1 iperf3 -s -1 -D -B "$1" >/dev/null 2>&1
    sleep 0.3
    in_host vm0 timeout $(( $2 + 10 )) iperf3 -c "$1" -t "$2" -O 1 -J >"$TMP/iperf-$1.json" 2>&1 \
        || { tail -5 "$TMP/iperf-$1.json"; fail "iperf3 to $1 failed"; }
    json_query "round(d['end']['sum_received']['bits_per_second']/1e6,2)" <"$TMP/iperf-$1.json"
}
reorders() { in_host vm0 nstat -az | awk '/^TcpExt.*Reorder / {n += $2} END {print n + 0}'; }
segments() { in_host vm0 nstat -az TcpOutSegs | awk '/TcpOutSegs/ {print $2}'; }

net0=$(tcp 192.168.0.3 3)
net1=$(tcp 192.168.1.3 3)
note "bare links: net0 $net0 Mbit/s, net1 $net1 Mbit/s"
for host in vm0 vm1; do printf 'mode: aggregate\n' >>"$LABDIR/$host.yaml"; done
start_mlink vm1 vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
reorder_before=$(reorders); segs_before=$(segments)
# The sender's estimate once a second (AGGREGATE_TRACE=1): capacity, delivered and queue per link, and the
# receiver's wait, so a miss shows which estimate was off.
if [ "${AGGREGATE_TRACE:-0}" = 1 ]; then
    ( for _ in $(seq 1 $(( seconds + 2 ))); do
        sleep 1
        show_json vm0 | json_query "' | '.join('link %d cap %.1f carried %.1f delivered %.1f queue %.1f ms delay %.1f ms' % (l['link'], l['capacity_bps']/1e6, l['rate_bps']/1e6, l['delivered_bps']/1e6, l['queue_ms'], l['delay_ms']) for l in d['policies']['aggregate'][0]['links'])" 2>/dev/null
        show_json vm1 | json_query "'  vm1 wait %.1f ms, timeouts %d, late %d' % (d['policies']['aggregate'][0]['reorder_wait_ms'], d['policies']['aggregate'][0]['reorder_timeouts'], d['policies']['aggregate'][0]['reorder_late'])" 2>/dev/null
      done >"$TMP/trace" ) &
    trace=$!
fi
agg=$(tcp 10.77.0.1 "$seconds")
[ -n "${trace:-}" ] && { wait "$trace"; sed 's/^/  trace: /' "$TMP/trace"; }
reorder_after=$(reorders); segs_after=$(segments)
show_json vm1 >"$TMP/show-vm1.json"
show_json vm0 >"$TMP/show-vm0.json"
best=$(python3 -c "print(max($net0, $net1))")
ratio=$(python3 -c "print(round($agg / $best, 2))")
reorder_share=$(python3 -c "print(round(1000 * ($reorder_after - $reorder_before) / max(1, $segs_after - $segs_before), 3))")
striped=$(json_query "d['policies']['aggregate'][0]['striped']" <"$TMP/show-vm0.json")
paced=$(json_query "d['policies']['aggregate'][0]['pacing_drops']" <"$TMP/show-vm0.json")
waited=$(json_query "d['policies']['aggregate'][0]['reorder_waited']" <"$TMP/show-vm1.json")
timeouts=$(json_query "d['policies']['aggregate'][0]['reorder_timeouts']" <"$TMP/show-vm1.json")
late=$(json_query "d['policies']['aggregate'][0]['reorder_late']" <"$TMP/show-vm1.json")
retransmits=$(json_query "d['end']['sum_sent']['retransmits']" <"$TMP/iperf-10.77.0.1.json")
note "mlink aggregate: $agg Mbit/s = ${ratio}x the better link, $retransmits retransmits; vm0 striped $striped packets, $paced pacing drops"
note "vm1's reorder buffer: $waited released after waiting, $timeouts gaps given up, $late late; sender TCP saw $((reorder_after - reorder_before)) reorderings (${reorder_share} per 1000 segments)"
[ "$striped" -gt 0 ] || fail "vm0 striped nothing"
[ "$waited" -gt 0 ] || fail "vm1's reorder buffer never held a packet: the links did not reorder, or striping is off"
python3 -c "import sys; sys.exit(0 if $reorder_share <= 1.0 else 1)" || fail "sender TCP saw ${reorder_share} reorderings per 1000 segments (limit 1)"
python3 -c "import sys; sys.exit(0 if $agg >= 1.2 * $best else 1)" || fail "aggregate carried ${ratio}x the better link (target 1.2x)"
pass "aggregate ${agg} Mbit/s = ${ratio}x the better link (${net0}/${net1} Mbit/s bare); in order (${reorder_share} reorderings per 1000 segments)"
