#!/usr/bin/env bash
# An announced LAN is reachable, and the route follows the LAN (issue 13, routing.md T5, T6, T8). Seed lab; a
# namespace lan50 (192.168.50.10/24) behind vm2, which announces 192.168.50.0/24 with while-route; the router vm1
# allows it. Checks: vm0 and vm1 get `192.168.50.0/24 dev ml-* proto 109`, vm1 a /32 per live host; vm0 pings
# 192.168.50.10; vm2's show says `active`; removing the LAN (while-route) and `mlink down` on vm2 each take the
# route out of vm0 and vm1 within 1 s (times printed); a host whose own LAN overlaps the distributed route skips
# it with the reason in show and keeps its LAN.
source "$(dirname "$0")/lib-routes.sh"
need_root
seed_lab rta$$
LAN=rtl$$
add_lan vm2 $LAN 192.168.50.1/24 192.168.50.10/24
printf '%s\n' "announce:" "  - {prefix: 192.168.50.0/24, while-route: true}" >>"$LABDIR/vm2.yaml"
allow_routes vm2 "[192.168.50.0/24]"
in_host vm1 "$MLINK" check "$LABDIR/vm1.yaml" >/dev/null || fail "check vm1: $(in_host vm1 "$MLINK" check "$LABDIR/vm1.yaml" 2>&1)"
start_mlink vm1 vm0 vm2

t=$(wait_route vm0 192.168.50.0/24 present 5) || fail "vm0 never got 192.168.50.0/24: $(ip -n $L-vm0 route)"
note "vm0 has 192.168.50.0/24 dev ml-vm0 proto 109 ${t} ms after the last up"
wait_route vm1 192.168.50.0/24 present 1 >/dev/null || fail "vm1 has no kernel route to the LAN: $(ip -n $L-vm1 route)"
for h in 10.77.0.10/32 10.77.0.20/32; do  # static host addresses: routed while each host is up
    mlink_routes vm1 | grep -qx "${h%/32}" || fail "vm1 has no host route $h: $(ip -n $L-vm1 route show proto 109)"
done
in_host vm0 ping -c 5 -i 0.2 -w 10 192.168.50.10 >"$TMP/ping.txt" || { cat "$TMP/ping.txt"; fail "vm0 cannot reach 192.168.50.10 behind vm2"; }
note "vm0 -> 192.168.50.10 behind vm2: $(ping_stats "$TMP/ping.txt" | awk '{print $2 "/" $1}') echoes"
[ "$(routes_json vm2 "r['announcements'][0]['verdict']")" = active ] || fail "vm2's show: $(show_json vm2)"
[ "$(routes_json vm0 "[d['detail'] for d in r['distributed']]")" = "['installed']" ] || fail "vm0's show: $(show_json vm0)"
[ "$(routes_json vm1 "r['shared'][0]['primary']")" = vm2 ] || fail "vm1's show: $(show_json vm1)"
in_host vm2 "$MLINK" show ml-vm2 | grep -qE "192\.168\.50\.0/24 +preference 100 while-route +active" \
    || fail "vm2's show text: $(in_host vm2 "$MLINK" show ml-vm2)"

# while-route: vm2 loses its LAN; the announcement is withdrawn.
ip -n $L-vm2 link del lan0
t0=$(wait_route vm0 192.168.50.0/24 absent 3) || fail "vm0 kept the route after vm2 lost its LAN"
t1=$(wait_route vm1 192.168.50.0/24 absent 1) || fail "vm1 kept the route after vm2 lost its LAN"
note "vm2 lost its LAN: route gone from vm0 after ${t0} ms (vm1 ${t1} ms later at most)"
[ "$t0" -le 1000 ] || fail "withdrawal took ${t0} ms (limit 1000)"
[ "$(routes_json vm2 "r['announcements'][0]['verdict']")" = withdrawn ] || fail "vm2's show after the LAN left: $(show_json vm2)"
veth "$L-vm2" lan0 $LAN eth0
addr "$L-vm2" lan0 192.168.50.1/24; addr $LAN eth0 192.168.50.10/24; ip -n $LAN route add default via 192.168.50.1
t=$(wait_route vm0 192.168.50.0/24 present 3) || fail "the route did not come back with the LAN"
note "LAN back: route on vm0 after ${t} ms"

# The capture guard: vm0 gets its own 192.168.50.0/24; the distributed route is skipped, the LAN stays local.
ip -n $L-vm0 link add lan0 type veth peer name lan0p; ip -n $L-vm0 link set lan0p up; addr $L-vm0 lan0 192.168.50.7/24
wait_route vm0 192.168.50.0/24 absent 3 >/dev/null || fail "vm0 kept the route over its own LAN"
detail=$(routes_json vm0 "r['distributed'][0]['detail']")
[ "$detail" = "skipped: overlaps 192.168.50.0/24 on lan0" ] || fail "vm0's show: $detail"
note "vm0 with its own 192.168.50.0/24: $detail"
ip -n $L-vm0 route get 192.168.50.10 | grep -q "dev lan0" || fail "vm0's LAN is not local: $(ip -n $L-vm0 route get 192.168.50.10)"
in_host vm0 "$MLINK" show ml-vm0 | grep -q "skipped: overlaps 192.168.50.0/24 on lan0" || fail "vm0's show text lacks the skip"
ip -n $L-vm0 link del lan0
wait_route vm0 192.168.50.0/24 present 3 >/dev/null || fail "the route did not come back after vm0's LAN left"

# vm2 stops (SIGTERM: it withdraws at once), then crashes (SIGKILL: the router sees its bundle fall silent).
# withdrawal SIGNAL WHAT: signals vm2's core, waits for the route to leave vm0 and vm1 (1 s limit), prints the ms;
# vm2 is down afterwards.
withdrawal() {
    local pid start took
    pid=$(show_json vm2 | json_query "d['pid']")
    start=$(now_ms); kill "-$1" "$pid"
    wait_route vm0 192.168.50.0/24 absent 3 >/dev/null || fail "vm0 kept the route after vm2 $2"
    wait_route vm1 192.168.50.0/24 absent 1 >/dev/null || fail "vm1 kept the route after vm2 $2"
    took=$(( $(now_ms) - start ))
    [ "$took" -le 1000 ] || fail "withdrawal after vm2 $2 took ${took} ms (limit 1000)"
    in_host vm2 "$MLINK" down ml-vm2 >/dev/null 2>&1
    echo "$took"
}
t0=$(withdrawal TERM stopped) || { echo "$t0"; exit 1; }
note "vm2 stopped (SIGTERM): route gone from vm0 and vm1 within ${t0} ms"
start_mlink vm2
wait_route vm0 192.168.50.0/24 present 5 >/dev/null || fail "the route did not come back with vm2"
t1=$(withdrawal KILL "was killed") || { echo "$t1"; exit 1; }
note "vm2 killed (SIGKILL): route gone from vm1 and vm0 within ${t1} ms"
ip -n $L-vm2 route show proto 109 | grep -q . && fail "vm2 kept mlink routes after kill -9 and down: $(ip -n $L-vm2 route show proto 109)"
pass "75-routes-announce: LAN reachable; withdrawn after a stop in ${t0} ms, a crash in ${t1} ms; skipped over a local LAN"
