#!/usr/bin/env bash
# Cheap idle (issue 14): the seed lab with vm0's two nets emulated (10 ms each way) and nothing to carry. After
# a warm-up, the relays' per-type tallies over IDLE_SECONDS (default 60) give each net's wire bytes (both
# directions, every mlink message type), scaled to a day: at most 10 MB per link (before issue 14: 282 MB).
# Then a flow starts on the idle bundle and its first echoes all come back (working links found at once).
source "$(dirname "$0")/lib-rt.sh"
need_root
seconds=${IDLE_SECONDS:-60}
sed -E 's/^(  net[01]: \{ends: \[.*\])\}$/\1, emulate: {delay: 10ms}}/' "$ROOT/examples/lab/seed.yaml" >"$TMP/seed20.yaml"
seed_lab idle$$ "$TMP/seed20.yaml"
start_mlink vm1 vm0
in_host vm0 ping -c 10 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
sleep 8  # idle: 2 s after the last data, then the slow rate
mlink_bytes() {  # NET: wire bytes of mlink messages (types 1-7) both ways, so far, Ethernet headers included
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(sum(v['bytes'][1:]) for v in d.values()))" \
        "$LABDIR/relay-$1.stats.types"
}
a0=$(mlink_bytes net0); b0=$(mlink_bytes net1)
sleep "$seconds"
sleep 1.1
a1=$(mlink_bytes net0); b1=$(mlink_bytes net1)
day() { awk -v a="$1" -v b="$2" -v s="$seconds" 'BEGIN { printf "%.2f", (b - a) / (s + 1.1) * 86400 / 1e6 }'; }
net0=$(day "$a0" "$a1"); net1=$(day "$b0" "$b1")
note "idle ${seconds} s: net0 $((a1 - a0)) B, net1 $((b1 - b0)) B on the wire: ${net0} and ${net1} MB/day (target 10)"
awk -v x="$net0" -v y="$net1" 'BEGIN { exit !(x <= 10 && y <= 10 && x > 0 && y > 0) }' \
    || fail "idle volume ${net0} / ${net1} MB/day per link (limit 10, and not 0)"
in_host vm0 ping -c 20 -i 0.02 -W 1 10.77.0.1 >"$TMP/first.txt" 2>&1
read -r tx rx dup < <(ping_stats "$TMP/first.txt")
[ "$rx" = "$tx" ] || fail "a new flow on the idle bundle lost echoes: $tx sent, $rx received"
pass "idle: ${net0} MB/day on net0, ${net1} MB/day on net1 (limit 10 per link); a new flow got all $tx echoes back"
