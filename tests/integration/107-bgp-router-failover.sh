#!/usr/bin/env bash
# Router failover through BGP (issue 16 item 4, routing.md T13): host h is on r1 (preferred) and r2, host b on r3
# only, BIRD iBGP+BFD (100 ms x 3) between the three. r1 holds h's /32 with metric 0 and r2 with metric 1
# (PREFERRED), so r3 sends to h through r1 (MED 0). A UDP datagram every 5 ms each way, h -> b and b -> h; then
# r1 is SIGKILLed. h moves its traffic to r2 when r1's connections fall, and BFD withdraws r1's routes from r3,
# whose kernel and import then point h's /32 at r2. Both streams must resume within 1 s; the longest gap of each
# direction is printed. Underlay without delay (hand-built veths; the 20 ms RTT case is not measured here). Then r1
# returns: after h's hold-down (preempt-delay 3 s) the metrics swap back and r3 routes h via r1 again, once.
source "$(dirname "$0")/lib-bgp.sh"
need_root
command -v bird >/dev/null && command -v birdc >/dev/null || skip "needs bird2 (scripts/install-deps.sh)"
bgp_lab bg7 h
trap 'stop_birds; cleanup' EXIT
up r1 r2 r3
for n in 1 2 3; do start_bird $n; done
up h b
metric_of() { ip -n "$P-$1" route show 10.77.0.40/32 proto 109 | grep -oE 'metric [0-9]+' | awk '{print $2}'; }
for i in $(seq 250); do [ "$(metric_of r2)" = 1 ] && break; sleep 0.02; done
[ "$(metric_of r2)" = 1 ] || fail "r2's /32 of h has metric '$(metric_of r2)', wanted 1 (h prefers r1): $(ip -n $P-r2 route)"
[ -z "$(metric_of r1)" ] || [ "$(metric_of r1)" = 0 ] || fail "r1's /32 of h has metric $(metric_of r1), wanted 0"
t=$(wait_kernel r3 "^10\.77\.0\.40 via 10\.77\.0\.1 dev ml-r3 proto bird" 20) \
    || fail "r3 never routed h via r1: $(ip -n $P-r3 route; birdc_r 3 show route all 10.77.0.40/32)"
note "r3 routes h's /32 via r1 (MED 0 over r2's MED 1), ${t} ms after up"
wait_kernel r2 "^10\.77\.0\.30 via 10\.77\.0\.3 dev ml-r2 proto bird" 10 >/dev/null || fail "r2 never got b's /32"
in_ns h ping -c 2 -i 0.2 -W 1 10.77.0.30 >/dev/null || fail "h cannot ping b before the kill"

# stream FROM-NS TO-ADDRESS PORT OUT: sends one datagram every 5 ms for 4 s; the receiver at TO writes arrivals.
receive() { in_ns "$1" python3 - "$2" "$3" >"$4" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(3)
try:
    while True:
        s.recv(64); print(time.monotonic(), flush=True)
except socket.timeout:
    pass
PY
}
send() { in_ns "$1" python3 - "$2" "$3" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start = time.monotonic()
for seq in range(800):
    try: s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
    except OSError: pass
    time.sleep(max(0, start + (seq + 1) * 0.005 - time.monotonic()))
PY
}
receive b 10.77.0.30 9107 "$TMP/at-b.txt"; rb=$!
receive h 10.77.0.40 9107 "$TMP/at-h.txt"; rh=$!
sleep 0.3
send h 10.77.0.30 9107; sh=$!
send b 10.77.0.40 9107; sb=$!
sleep 1.5
for pid in $(ip netns pids $P-r1); do
    [ "$(cat /proc/$pid/comm 2>/dev/null)" = bird ] || kill -9 "$pid" 2>/dev/null
done
killed=$(now_ms)
wait $sh $sb $rb $rh
gap() { python3 -c "
t = [float(l) for l in open('$1')]
print(round(max([b - a for a, b in zip(t, t[1:])] or [99]) * 1000), len(t))"; }
read -r gap_hb n_hb <<<"$(gap "$TMP/at-b.txt")"
read -r gap_bh n_bh <<<"$(gap "$TMP/at-h.txt")"
note "r1 SIGKILLed: longest gap h -> b ${gap_hb} ms (${n_hb} of 800 arrived), b -> h ${gap_bh} ms (${n_bh} of 800)"
ip -n $P-r3 route show | grep -qE "^10\.77\.0\.40 via 10\.77\.0\.2 dev ml-r3 proto bird" \
    || fail "r3 does not route h via r2 after r1 died: $(ip -n $P-r3 route)"
json r3 "' '.join(r['prefix'] + '@' + r['router'] for r in d['imports']['imported'])" | grep -qw "10.77.0.40/32@r2" \
    || fail "r3 does not import h's /32 via r2"
[ "$gap_hb" -le 1000 ] || fail "h -> b stopped for ${gap_hb} ms (limit 1000)"
[ "$gap_bh" -le 1000 ] || fail "b -> h stopped for ${gap_bh} ms (limit 1000)"
# r1 returns: h stays on r2 for its preempt-delay (3 s), then moves back once; the metrics swap (PREFERRED), and
# r3's route to h follows the MED back to r1, once.
in_ns r1 "$MLINK" down ml-r1 >/dev/null 2>&1
up r1
restarted=$(now_ms)
changes=0 last=r2 back=0
while [ $(( $(now_ms) - restarted )) -lt 12000 ]; do
    via=$(ip -n $P-r3 route show 10.77.0.40/32 | grep -oE 'via 10\.77\.0\.[0-9]+' | awk '{print $2}')
    case $via in 10.77.0.1) now=r1;; 10.77.0.2) now=r2;; *) now=$last;; esac
    if [ "$now" != "$last" ]; then changes=$(( changes + 1 )); last=$now; [ "$now" = r1 ] && back=$(( $(now_ms) - restarted )); fi
    [ "$last" = r1 ] && [ $(( $(now_ms) - restarted - back )) -ge 2000 ] && break
    sleep 0.05
done
[ "$last" = r1 ] && [ "$changes" = 1 ] || fail "after r1 returned, r3 routes h via $last after $changes changes"
[ "$back" -ge 3000 ] || fail "r3 moved h back to r1 ${back} ms after r1's restart, before h's 3 s hold-down"
[ "$(metric_of r2)" = 1 ] || fail "r2's /32 of h has metric '$(metric_of r2)' after h moved back, wanted 1"
note "r1 restarted: r3 routes h via r1 again after ${back} ms (h's hold-down 3 s), one change"
pass "107-bgp-router-failover: r1 killed, traffic via r2 after ${gap_hb} ms (h -> b) and ${gap_bh} ms (b -> h); back via r1 once, ${back} ms after its restart"
