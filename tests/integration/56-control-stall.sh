#!/usr/bin/env bash
# The control socket never stalls forwarding: a ping stream from vm0 through the router to vm2 while (a) one
# client connects to the router's control socket and stays silent, (b) 20 clients connect at once and stay
# silent, (c) 20 `mlink show` run back to back. Each phase's max RTT must stay within 20 ms of the idle
# figure (before the fix, one silent client held the router's loop for 2 s). `show` must still answer after.
# The show clients run at nice 19: the test measures whether the router's loop stalls, not whether 20 starts of
# a debug binary take CPU from it on two cores. A phase that misses is measured once more (a stall the daemon
# causes repeats; a noisy neighbour on a shared CI machine rarely does: one clean-clone run measured an idle max
# of 10 ms and a show max of 40 ms), and both figures are printed.
source "$(dirname "$0")/lib-rt.sh"
need_root
seed_lab cst$$
start_mlink vm1 vm0 vm2
in_host vm0 ping -c 40 -i 0.05 -w 15 10.77.0.20 >/dev/null || fail "tunnel vm0 -> vm2 did not come up"
socket=$LABDIR/run/vm1/ml-vm1.sock
[ -S "$socket" ] || fail "no control socket at $socket"

# ping_phase NAME: 150 echoes at 20 ms from vm0 to vm2 (through the router); prints "max avg lost".
ping_phase() {
    in_host vm0 ping -c 150 -i 0.02 -W 1 10.77.0.20 >"$TMP/ping-$1.txt" 2>&1
    local max avg rx
    read -r _ rx _ < <(ping_stats "$TMP/ping-$1.txt")
    avg=$(sed -nE 's#^rtt .* = [0-9.]+/([0-9.]+)/([0-9.]+)/.*#\1#p' "$TMP/ping-$1.txt")
    max=$(sed -nE 's#^rtt .* = [0-9.]+/([0-9.]+)/([0-9.]+)/.*#\2#p' "$TMP/ping-$1.txt")
    echo "${max:-9999} ${avg:-9999} $((150 - ${rx:-0}))"
}

# silent_clients COUNT SECONDS: COUNT clients connect to the router's control socket at once, say nothing and
# hang up after SECONDS (the core closes them first, at its timeout).
silent_clients() {
    python3 - "$socket" "$1" "$2" <<'PY' &
import socket, sys, time
held = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except (BlockingIOError, ConnectionRefusedError):
        pass  # backlog full: the flood is the point
    held.append(s)
time.sleep(float(sys.argv[3]))
PY
}

read -r idle_max idle_avg idle_lost < <(ping_phase idle)
note "idle:                 max ${idle_max} ms, avg ${idle_avg} ms, ${idle_lost} lost"

# run_phase NAME: one measured phase with its load (NAME one, flood or show); sets NAME_max, NAME_avg, NAME_lost.
run_phase() {
    local load
    case $1 in
        one) silent_clients 1 4; load=$!;;
        flood) silent_clients 20 4; load=$!;;
        show) ( for _ in $(seq 20); do
                    in_host vm1 nice -n 19 "$MLINK" show ml-vm1 --json >/dev/null || echo "show failed" >>"$TMP/show-failures"
                done ) & load=$!;;
    esac
    read -r "${1}_max" "${1}_avg" "${1}_lost" < <(ping_phase "$1-$2")
    wait $load
}
label_one="1 silent client:   "; label_flood="20 silent clients: "; label_show="20 show in a row:  "
for phase in one flood show; do
    run_phase $phase 1
    max_var=${phase}_max avg_var=${phase}_avg lost_var=${phase}_lost label_var=label_$phase
    note "${!label_var}   max ${!max_var} ms, avg ${!avg_var} ms, ${!lost_var} lost"
    if ! awk -v m="${!max_var}" -v i="$idle_max" 'BEGIN { exit !(m <= i + 20) }'; then
        first=${!max_var} first_lost=${!lost_var}
        run_phase $phase 2
        printf -v "$lost_var" %s $((first_lost + ${!lost_var}))
        note "${!label_var}   max ${!max_var} ms, avg ${!avg_var} ms, ${!lost_var} lost (again: the first run's max was $first ms)"
    fi
done
[ -f "$TMP/show-failures" ] && fail "show failed $(wc -l <"$TMP/show-failures") times while the ping ran"

in_host vm1 "$MLINK" show ml-vm1 --json | json_query "d['interface']" | grep -qx ml-vm1 \
    || fail "show does not answer after the silent clients"
for phase in one flood show; do
    max_var=${phase}_max
    awk -v m="${!max_var}" -v i="$idle_max" 'BEGIN { exit !(m <= i + 20) }' \
        || fail "$phase: max RTT ${!max_var} ms is more than 20 ms above idle ${idle_max} ms"
done
[ "$one_lost$flood_lost$show_lost" = 000 ] || fail "echoes lost: $one_lost, $flood_lost, $show_lost"
pass "control socket: silent, flooding and show clients cost the ping stream nothing (max within 20 ms of idle ${idle_max} ms)"
