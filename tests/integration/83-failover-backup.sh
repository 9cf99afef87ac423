#!/usr/bin/env bash
# Failover mode keeps a healthy backup cold and loses nothing across a silent cut (issue 14): the seed lab with
# vm0's enp0s3 the primary and enp0s8 a backup, net0 and net1 emulated at 10 ms each way, a 50 packets/s echo
# stream.
# 1. While the primary carries: 0 data bytes on net1 either way (the relay's per-type tally: the router follows
#    vm0's LINK_ROLES downstream too), and the backup's probe + control bytes <= 40 B/s (IP bytes, as the issue
#    counts them), over FAILOVER_PERIODS (default 1, to keep the test short) whole standby-probe periods (24 for
#    the issue's 120 s).
#    Expected 32 B/s: one compact probe and its reply per 5 s (2 x 80 B), a 20% margin. The window lies inside
#    the stream: the PATH_SILENT alarms both ends send on the backup when the stream ends (2 x 88 B, once per
#    stream end, not per second) and a rekey (every 120 s, 148 + 60 B) are reported apart.
# 2. net0 silently cut for 5 s: no echo lost, back on the primary (0 data bytes on net1) once the primary has
#    been clean for revert-after (10 s). The takeover's timing is printed, not judged tightly: an echo sent just
#    before the cut waits for the takeover (target <= 100 ms, `mlink-lab bench --check backup.yaml` judges it)
#    and crosses the backup (10 ms) and back (10 ms); measured 87-158 ms over the base here (2026-12-02), but the
#    clean-clone CI machine, slow and loaded, saw 190 ms (base 19.4), and a 150 ms bound failed it there. The
#    script fails on timing only beyond base + 1000 ms (a takeover that did not happen in time at all: without
#    one, the echoes of the 5 s cut come back only after the repair, or never).
source "$(dirname "$0")/lib-rt.sh"
need_root
seed_lab_10ms fb$$
grep -q '^links: \[enp0s3, enp0s8\]$' "$LABDIR/vm0.yaml" || fail "unexpected links in vm0.yaml: $(grep links "$LABDIR/vm0.yaml")"
sed -i 's/^links: \[enp0s3, enp0s8\]$/links:\n  - {name: enp0s3, role: primary}\n  - {name: enp0s8, role: backup}\nmode: failover/' \
    "$LABDIR/vm0.yaml"
start_mlink vm1 vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
sleep 2.5  # the stream's end is alarmed; the standby settles at standby-probe
[ -f "$LABDIR/relay-net1.stats.types" ] || fail "the relay writes no per-type tally ($LABDIR/relay-net1.stats.types)"

# tally NET: "data_bytes other_bytes frames_by_type" over both directions of NET's relay (written once a second);
# IP bytes (the relay's frames less their 14-byte Ethernet header).
tally() {
    python3 - "$LABDIR/relay-$1.stats.types" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ip = lambda v, i: v["bytes"][i] - 14 * v["frames"][i]
data = sum(ip(v, 4) for v in d.values())
other = sum(sum(ip(v, i) for i in range(1, 8) if i != 4) for v in d.values())
print(data, other, ",".join(f"{i}:{sum(ip(v, i) for v in d.values())}B/{sum(v['frames'][i] for v in d.values())}" for i in range(1, 8)))
PY
}
# standby_window N: waits for a probe reply on vm0's enp0s8, then for N more; prints "bytes milliseconds": the
# wire bytes (IP) of every connection of enp0s8 in both directions over exactly N standby-probe periods (a
# window cut at any other moment holds a pair more or less: at 5 s a pair is 160 B, 20% of the limit's window).
standby_window() {
    python3 - "$1" "$L-vm0" "$LABDIR/run/vm0" "$MLINK" <<'PY'
import json, os, subprocess, sys, time
n, ns, run, mlink = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def snap():
    out = subprocess.run(["ip", "netns", "exec", ns, "env", f"MLINK_RUN_DIR={run}", mlink, "show", "ml-vm0", "--json"],
                         capture_output=True, text=True, check=True).stdout
    cs = [c for c in json.loads(out)["peers"][0]["connections"] if c["link"] == "enp0s8"]
    return (sum(c["tx_bytes"] + c["rx_bytes"] + 28 * (c["tx_packets"] + c["rx_packets"]) for c in cs),
            sum(c["rx_probe_packets"] for c in cs), time.monotonic())
def after(replies, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        s = snap()
        if s[1] >= replies: return s
        time.sleep(0.1)
    sys.exit(f"no probe reply on enp0s8 within {limit} s")
first = after(snap()[1] + 1, 12)
last = after(first[1] + n, 6 * n + 2)
print(last[0] - first[0], round((last[2] - first[2]) * 1000))
PY
}
ip netns exec "$L-vm0" ping -i 0.02 -W 1 10.77.0.1 >"$TMP/healthy.txt" 2>&1 &  # not in_host: $! must be ping itself
ping=$!
sleep 1
read -r data0 other0 types0 < <(tally net1)
read -r bytes ms < <(standby_window "${FAILOVER_PERIODS:-1}") || fail "no standby probes measured"
sleep 1.1
read -r data1 other1 types1 < <(tally net1)
kill -INT $ping
wait $ping
sleep 1.2
read -r data2 other2 types2 < <(tally net1)
read -r tx rx dup < <(ping_stats "$TMP/healthy.txt")
paths() {  # HOST: each connection's link, remote, state, data packets sent and send drops
    show_json "$1" | json_query "'; '.join(f\"{c['link']}->{c['remote']} {c['state']} tx_data {c['tx_data_packets']} drops {c['send_drops']}\" for p in d['peers'] for c in p['connections'])"
}
note "vm0: $(paths vm0)"
note "vm1: $(paths vm1)"
rate=$(awk -v b="$bytes" -v ms="$ms" 'BEGIN { printf "%.1f", b / (ms / 1000) }')
note "net1 by type (IP bytes/frames; 1 initiation, 2 response, 4 data, 5 probe, 6 control): $types0 -> $types1 -> $types2 after the stream"
note "primary carrying $tx echoes ($rx back): net1 carried $((data1 - data0)) data bytes; vm0's enp0s8 paths ${bytes} B in ${ms} ms = ${rate} B/s probe+control; the stream's end added $((other2 - other1)) B"
# missing FILE: the icmp_seq numbers that got no reply, up to the last one sent
missing() { python3 -c "import re,sys; t=open(sys.argv[1]).read(); s={int(m) for m in re.findall(r'icmp_seq=(\d+)', t)}; print(' '.join(str(i) for i in range(1, max(s | {0}) + 1) if i not in s) or 'none')" "$1"; }
[ "$rx" -ge $((tx - 1)) ] || fail "echoes lost with a healthy primary: $tx sent, $rx received (no reply: $(missing "$TMP/healthy.txt"))"
[ "$((data2 - data0))" = 0 ] || fail "the backup carried $((data2 - data0)) data bytes while the primary was up"
awk -v r="$rate" 'BEGIN { exit !(r <= 40 && r > 0) }' || fail "backup probe+control ${rate} B/s (limit 40, and not 0)"

in_host vm0 ping -c 325 -i 0.02 -W 1 10.77.0.1 >"$TMP/cut.txt" 2>&1 &
ping=$!
sleep 1
"$LAB" cut net0 --for 5 --lab "$L" >/dev/null 2>&1 || fail "mlink-lab cut net0"
wait $ping
read -r tx rx dup < <(ping_stats "$TMP/cut.txt")
worst=$(sed -nE 's/.*time=([0-9.]+) ms.*/\1/p' "$TMP/cut.txt" | sort -g | tail -1)
base=$(sed -nE 's/.*time=([0-9.]+) ms.*/\1/p' "$TMP/healthy.txt" | sort -g | head -1)
replayed=$(show_json vm0 | json_query "d['peers'][0]['replayed']")
over=$(awk -v w="$worst" -v b="$base" 'BEGIN { printf "%.1f", w - b }')
note "5 s silent cut under 50 echoes/s: $tx sent, $rx received, $dup duplicates, worst RTT ${worst} ms (base ${base} ms, +${over} ms: the takeover plus the backup's round trip); vm0 replayed $replayed"
note "takeover: worst echo across the cut ${over} ms over the base (target for the takeover itself 100 ms; this bound 1000 ms)"
for host in vm0 vm1; do  # the cores' failover and PATH_SILENT lines (when, why, the silence and its threshold)
    grep -h -e 'failover from' -e 'PATH_SILENT' "$LABDIR/run/$host"/*.log 2>/dev/null | tail -4 | sed "s/^/   $host: /"
done
[ "$rx" = "$tx" ] || fail "echoes lost across the takeover: $tx sent, $rx received (no reply: $(missing "$TMP/cut.txt"))"
awk -v o="$over" 'BEGIN { exit !(o <= 1000) }' || fail "an echo took ${worst} ms (base ${base} ms): over base + 1000 ms, no takeover in time"
sleep 11.5  # the repair came 0.5 s before the stream ended; revert-after is 10 s from the first probe answered after it
read -r data3 other3 types3 < <(tally net1)
in_host vm0 ping -c 25 -i 0.02 -W 1 10.77.0.1 >/dev/null 2>&1
sleep 1.2
read -r data4 other4 types4 < <(tally net1)
[ "$((data4 - data3))" = 0 ] || fail "still $((data4 - data3)) data bytes on the backup 10 s after the repair"
pass "failover: 0 data bytes and ${rate} B/s on the backup while the primary carried; a 5 s silent cut lost 0 of $tx echoes (worst ${worst} ms, base + ${over}); back on the primary after the repair"
