#!/usr/bin/env bash
# Cheap idle (issue 14): the seed lab with vm0's two nets emulated (10 ms each way) and nothing to carry. Over
# IDLE_SECONDS (default 20; tests/targets/idle-volume.sh runs 60) the relays' per-type tallies give each net's
# wire bytes (both directions, every mlink message type, Ethernet headers included, as the relay counts them),
# scaled to a day: at most 10 MB per link (115 B/s; before issue 14: 282 MB, before this fix 29 MB). Expected
# 3.2 MB: one compact probe and its reply per 5 s (2 x 94 B), plus two probes per stray packet the kernel sends
# on the idle TUN. A 20 s window holds at most 5 probe pairs (4.1 MB/day): the limit has a 2.4x margin over the
# worst quantization. Then a flow starts on the idle bundle and its first echoes all come back at once.
source "$(dirname "$0")/lib-rt.sh"
need_root
seconds=${IDLE_SECONDS:-20}
seed_lab_10ms iv$$
start_mlink vm1 vm0
in_host vm0 ping -c 10 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
sleep 4  # idle: 2 s after the last data, then the slow rate
[ -f "$LABDIR/relay-net0.stats.types" ] || fail "the relay writes no per-type tally"
# breakdown NET BEFORE: "type:bytes/frames" per direction since the copy BEFORE of NET's tally.
breakdown() {
    python3 - "$2" "$LABDIR/relay-$1.stats.types" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
names = {1: "initiation", 2: "response", 3: "cookie", 4: "data", 5: "probe", 6: "control", 7: "parity"}
print("; ".join(d + " " + " ".join(f"{names[i]} {b[d]['bytes'][i] - a[d]['bytes'][i]}B/{b[d]['frames'][i] - a[d]['frames'][i]}"
      for i in range(1, 8) if b[d]["frames"][i] != a[d]["frames"][i]) for d in ("forward", "backward")))
PY
}
total() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(sum(v['bytes'][1:]) for v in d.values()))" "$1"; }
cp "$LABDIR/relay-net0.stats.types" "$TMP/net0.before"; cp "$LABDIR/relay-net1.stats.types" "$TMP/net1.before"
sleep "$seconds"
sleep 1.1  # the relays write their tallies once a second
day() { awk -v a="$(total "$TMP/$1.before")" -v b="$(total "$LABDIR/relay-$1.stats.types")" -v s="$seconds" \
    'BEGIN { printf "%.2f", (b - a) / (s + 1.1) * 86400 / 1e6 }'; }
net0=$(day net0); net1=$(day net1)
note "net0: $(breakdown net0 "$TMP/net0.before")"
note "net1: $(breakdown net1 "$TMP/net1.before")"
note "idle ${seconds} s: ${net0} and ${net1} MB/day on net0 and net1 (limit 10)"
awk -v x="$net0" -v y="$net1" 'BEGIN { exit !(x <= 10 && y <= 10 && x > 0 && y > 0) }' \
    || fail "idle volume ${net0} / ${net1} MB/day per link (limit 10, and not 0)"
in_host vm0 ping -c 20 -i 0.02 -W 1 10.77.0.1 >"$TMP/first.txt" 2>&1
read -r tx rx dup < <(ping_stats "$TMP/first.txt")
first=$(sed -nE 's/.*icmp_seq=1 .*time=([0-9.]+) ms.*/\1/p' "$TMP/first.txt")
[ "$rx" = "$tx" ] || fail "a new flow on the idle bundle lost echoes: $tx sent, $rx received"
pass "idle: ${net0} MB/day on net0, ${net1} MB/day on net1 (limit 10 per link); a new flow got all $tx echoes back (first in ${first:-?} ms)"
