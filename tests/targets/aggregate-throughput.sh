#!/usr/bin/env bash
# Aggregate mode (issue 15 item 4; PROTOCOL.md section 16): vm0's two links to the router are rate-limited by
# the emulator, by default net0 at 20 Mbit/s with 10 ms delay and net1 at 8 Mbit/s with 20 ms (the bench's
# 50/20 Mbit/s, 20/40 ms pair scaled to what a debug build carries on a shared 2-core machine; AGGREGATE_RATES
# and AGGREGATE_DELAYS, e.g. "50 20" and "20 40", set them for a release build). TCP runs vm0 -> vm1 first over
# each bare link (the baselines, in this run), then through mlink with both ends `mode: aggregate` (ICMP
# `redundant`, and a UDP stream to port 5004, the real-time one): one flow, four flows, and one flow beside a
# 50/s, 172-byte UDP stream (tests/integration/owd-stream.py: a send time in each payload; the lab's hosts
# share the clock). The issue's targets: one flow >= 1.2x the better link; four flows >= 0.9x the sum of the
# links; the stream's p99 one-way delay <= its link's base (the lowest one-way delay of the same stream over
# the bare fast link) + 30 ms. It also prints whether striped packets reached TCP in order (the router's reorder
# buffer released packets that waited, gave gaps up by the wait or for room; the sender's kernel's nstat
# TcpExt*Reorder per 1000 segments; the earlier
# limit of 1 per 1000 is reported, not required). AGGREGATE_TRACE=1 prints the sender's estimates each second.
# About 70 s. Kept out of the suite while it fails (tests/targets/README.md).
source "$(dirname "$0")/../integration/lib-rt.sh"
need_root
command -v iperf3 >/dev/null || skip "needs iperf3 (scripts/install-deps.sh)"
seconds=${AGGREGATE_SECONDS:-8}
read -r rate0 rate1 <<<"${AGGREGATE_RATES:-20 8}"
read -r delay0 delay1 <<<"${AGGREGATE_DELAYS:-10 20}"
sed -E -e "s/^(  net0: \{ends: \[.*\])\}\$/\1, emulate: {delay: ${delay0}ms, rate: ${rate0}mbit, queue: 50ms}}/" \
       -e "s/^(  net1: \{ends: \[.*\])\}\$/\1, emulate: {delay: ${delay1}ms, rate: ${rate1}mbit, queue: 50ms}}/" \
    "$ROOT/examples/lab/seed.yaml" >"$TMP/seed.yaml"
[ "$(grep -c 'rate: ' "$TMP/seed.yaml")" = 2 ] || fail "could not emulate net0 and net1"
seed_lab ag7$$ "$TMP/seed.yaml"

# tcp ADDRESS SECONDS [FLOWS]: TCP vm0 -> vm1's ADDRESS; prints Mbit/s received.
tcp() {
    in_host vm1 iperf3 -s -1 -D -B "$1" >/dev/null 2>&1
    sleep 0.3
    in_host vm0 timeout $(( $2 + 10 )) iperf3 -c "$1" -t "$2" -O 1 -P "${3:-1}" -J >"$TMP/iperf-$1.json" 2>&1 \
        || { tail -5 "$TMP/iperf-$1.json"; fail "iperf3 to $1 failed"; }
    json_query "round(d['end']['sum_received']['bits_per_second']/1e6,2)" <"$TMP/iperf-$1.json"
}
# p99 and minimum RTT (ms) of a ping log.
rtts() { awk -F'time=' '/time=/ {split($2, a, " "); print a[1]}' "$1" | sort -n \
    | awk '{v[NR] = $1} END {if (NR == 0) {print "0 0"; exit} i = int(NR * 0.99); if (i < 1) i = 1; print v[i], v[1]}'; }
# stream ADDRESS SECONDS: a 50/s UDP stream vm0 -> vm1's ADDRESS port 5004; prints the receiver's "p50 p99 max
# min received lost" (one-way, ms).
stream() {
    in_host vm1 python3 "$ROOT/tests/integration/owd-stream.py" receive 0.0.0.0 5004 "$2" >"$TMP/owd-$1.txt" &
    local receiver=$!
    sleep 0.3
    in_host vm0 python3 "$ROOT/tests/integration/owd-stream.py" send "$1" 5004 $(( $2 * 50 )) 50
    wait "$receiver" || true
    cat "$TMP/owd-$1.txt"
}
reorders() { in_host vm0 nstat -az | awk '/^TcpExt.*Reorder / {n += $2} END {print n + 0}'; }
segments() { in_host vm0 nstat -az TcpOutSegs | awk '/TcpOutSegs/ {print $2}'; }

net0=$(tcp 192.168.0.3 3)
net1=$(tcp 192.168.1.3 3)
in_host vm0 ping -c 20 -i 0.05 192.168.0.3 >"$TMP/ping-bare.txt" 2>&1 || true
read -r _ base_rtt <<<"$(rtts "$TMP/ping-bare.txt")"
read -r _ _ _ base_owd _ _ <<<"$(stream 192.168.0.3 2)"
note "bare links: net0 $net0 Mbit/s, net1 $net1 Mbit/s; net0 RTT $base_rtt ms, one-way $base_owd ms"
for host in vm0 vm1; do
    printf 'mode: aggregate\npolicies:\n  - {name: rt, match: {proto: icmp}, mode: redundant}\n  - {name: audio, match: {proto: udp, port: 5004}, mode: redundant}\n' >>"$LABDIR/$host.yaml"
done
start_mlink vm1 vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
sleep 1.2  # the links count as real-time-carrying for 1 s after the check's pings (ICMP is `redundant`)
reorder_before=$(reorders); segs_before=$(segments)
# The sender's estimate once a second (AGGREGATE_TRACE=1): capacity, delivered and queue per link, and the
# receiver's wait, so a miss shows which estimate was off.
if [ "${AGGREGATE_TRACE:-0}" = 1 ]; then
    ( for _ in $(seq 1 $(( seconds + 2 ))); do
        sleep 1
        show_json vm0 | json_query "' | '.join('link %d cap %.1f carried %.1f delivered %.1f queue %.1f ms delay %.1f ms' % (l['link'], l['capacity_bps']/1e6, l['rate_bps']/1e6, l['delivered_bps']/1e6, l['queue_ms'], l['delay_ms']) for l in d['policies']['aggregate'][0]['links']) + ' | striped %d, paced %d' % (d['policies']['aggregate'][0]['striped'], d['policies']['aggregate'][0]['pacing_drops'])" 2>/dev/null
        show_json vm1 | json_query "'  vm1 wait %.1f ms, timeouts %d (lost %d), late %d' % (d['policies']['aggregate'][0]['reorder_wait_ms'], d['policies']['aggregate'][0]['reorder_timeouts'], d['policies']['aggregate'][0]['reorder_lost'], d['policies']['aggregate'][0]['reorder_late'])" 2>/dev/null
      done >"$TMP/trace" ) &
    trace=$!
fi
agg=$(tcp 10.77.0.1 "$seconds")
[ -n "${trace:-}" ] && { wait "$trace"; sed 's/^/  trace: /' "$TMP/trace"; }
reorder_after=$(reorders); segs_after=$(segments)
show_json vm1 >"$TMP/show-vm1.json"
show_json vm0 >"$TMP/show-vm0.json"
four=$(tcp 10.77.0.1 "$seconds" 4)
stream 10.77.0.1 "$seconds" >"$TMP/owd-rt.txt" &
streamer=$!
beside=$(tcp 10.77.0.1 "$seconds")
wait "$streamer" || true
read -r rt_p50 rt_p99 rt_max _ rt_received rt_lost <"$TMP/owd-rt.txt"
best=$(python3 -c "print(max($net0, $net1))")
sum=$(python3 -c "print(round($net0 + $net1, 2))")
four_ratio=$(python3 -c "print(round($four / $sum, 2))")
rt_excess=$(python3 -c "print(round($rt_p99 - $base_owd, 1))")
ratio=$(python3 -c "print(round($agg / $best, 2))")
reorder_share=$(python3 -c "print(round(1000 * ($reorder_after - $reorder_before) / max(1, $segs_after - $segs_before), 3))")
striped=$(json_query "d['policies']['aggregate'][0]['striped']" <"$TMP/show-vm0.json")
paced=$(json_query "d['policies']['aggregate'][0]['pacing_drops']" <"$TMP/show-vm0.json")
waited=$(json_query "d['policies']['aggregate'][0]['reorder_waited']" <"$TMP/show-vm1.json")
timeouts=$(json_query "d['policies']['aggregate'][0]['reorder_timeouts']" <"$TMP/show-vm1.json")
late=$(json_query "d['policies']['aggregate'][0]['reorder_late']" <"$TMP/show-vm1.json")
bound=$(json_query "d['policies']['aggregate'][0]['reorder_bound']" <"$TMP/show-vm1.json")
retransmits=$(json_query "d['end']['sum_sent']['retransmits']" <"$TMP/iperf-10.77.0.1.json")
note "mlink aggregate: $agg Mbit/s = ${ratio}x the better link, $retransmits retransmits; vm0 striped $striped packets, $paced pacing drops"
note "vm1's reorder buffer: $waited released after waiting, $timeouts gaps given up ($bound by the bound), $late late; sender TCP saw $((reorder_after - reorder_before)) reorderings (${reorder_share} per 1000 segments)"
note "four flows: $four Mbit/s = ${four_ratio}x the sum ($sum Mbit/s)"
note "UDP stream beside one flow ($beside Mbit/s): one-way p50 $rt_p50, p99 $rt_p99 ms = base $base_owd + $rt_excess ms, max $rt_max; $rt_received received, $rt_lost lost"
[ "$striped" -gt 0 ] || fail "vm0 striped nothing"
[ "$waited" -gt 0 ] || fail "vm1's reorder buffer never held a packet: the links did not reorder, or striping is off"
verdict=0
python3 -c "import sys; sys.exit(0 if $agg >= 1.2 * $best else 1)" || { note "MISS: one flow ${ratio}x the better link (target 1.2x)"; verdict=1; }
python3 -c "import sys; sys.exit(0 if $four >= 0.9 * $sum else 1)" || { note "MISS: four flows ${four_ratio}x the sum (target 0.9x)"; verdict=1; }
[ "$rt_received" -ge $(( seconds * 45 )) ] || { note "MISS: the stream delivered $rt_received of $(( seconds * 50 ))"; verdict=1; }
python3 -c "import sys; sys.exit(0 if $rt_excess <= 30 else 1)" || { note "MISS: stream p99 one-way base + $rt_excess ms (target + 30)"; verdict=1; }
[ "$verdict" = 0 ] || fail "aggregate targets missed (figures above)"
pass "aggregate: one flow ${ratio}x the better link, four flows ${four_ratio}x the sum, stream p99 one-way base + ${rt_excess} ms (${net0}/${net1} Mbit/s bare; ${reorder_share} reorderings per 1000 segments)"
