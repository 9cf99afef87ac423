#!/usr/bin/env bash
# The kernel is the interface to routing daemons (issue 13, routing.md T10): Debian's bird2, started in the router's
# namespace with its own configuration, control socket and pid file (never the system's), learns mlink's routes
# from the kernel (`learn; import where krt_source = 109`, the recipe of docs/ROUTING.md): each live host's /32 and
# the announced 192.168.50.0/24, with `Kernel.source: 109` (a host's /32 is in the kernel while its bundle is up,
# static or leased). A route another program adds (proto static) is not imported. BIRD drops within 1 s (the
# times are printed; it hears the kernel's netlink notification, not its 10 s scan): the prefix when vm2 loses
# its LAN (while-route), vm0's /32 when vm0 stops (its CLOSE ends its bundle at once), vm2's /32 when vm2 is
# killed (the router sees its paths fall silent).
source "$(dirname "$0")/lib-routes.sh"
need_root
command -v bird >/dev/null && command -v birdc >/dev/null || skip "needs bird2 (scripts/install-deps.sh)"
seed_lab rtb$$
add_lan vm2 rtbl$$ 192.168.50.1/24 192.168.50.10/24
echo "announce: [{prefix: 192.168.50.0/24, while-route: true}]" >>"$LABDIR/vm2.yaml"
allow_routes vm2 "[192.168.50.0/24]"
cat >"$TMP/bird.conf" <<'CONF'
router id 10.77.0.1;
log stderr all;
protocol device { scan time 10; }
protocol kernel mlink {
  learn;                              # take routes other programs add
  scan time 10;                       # a resync; changes arrive at once by netlink
  ipv4 { import where krt_source = 109; export none; };
}
CONF
SOCK=$TMP/bird.ctl
ip netns exec $L-vm1 bird -f -c "$TMP/bird.conf" -s "$SOCK" -P "$TMP/bird.pid" 2>"$TMP/bird.log" &
BIRD=$!
trap 'kill $BIRD 2>/dev/null; wait $BIRD 2>/dev/null; cleanup' EXIT
for i in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || fail "bird did not start: $(cat "$TMP/bird.log")"
ip -n $L-vm1 route add 10.99.0.0/24 dev lo proto static || fail "static route"
start_mlink vm1 vm0 vm2
bird_routes() { birdc -s "$SOCK" show route all 2>/dev/null; }
has() { bird_routes | grep -qE "^$1 "; }
for i in $(seq 200); do has 192.168.50.0/24 && has 10.77.0.10/32 && has 10.77.0.20/32 && break; sleep 0.025; done
bird_routes >"$TMP/bird-routes.txt"
for p in 10.77.0.10/32 10.77.0.20/32 192.168.50.0/24; do
    grep -qE "^$p " "$TMP/bird-routes.txt" || fail "BIRD lacks $p: $(cat "$TMP/bird-routes.txt")"
done
[ "$(grep -c 'Kernel.source: 109' "$TMP/bird-routes.txt")" -ge 3 ] || fail "routes not from source 109: $(cat "$TMP/bird-routes.txt")"
grep -q "^10.99.0.0/24" "$TMP/bird-routes.txt" && fail "BIRD imported a route that is not mlink's"
note "BIRD learned from the kernel: $(grep -oE '^[0-9./]+' "$TMP/bird-routes.txt" | tr '\n' ' ')(Kernel.source: 109)"
start=$(now_ms)
ip -n $L-vm2 link del lan0
while has 192.168.50.0/24; do
    [ $(( $(now_ms) - start )) -gt 3000 ] && fail "BIRD still has 192.168.50.0/24 after 3 s"
    sleep 0.01
done
t=$(( $(now_ms) - start ))
note "vm2 lost its LAN: BIRD dropped 192.168.50.0/24 after ${t} ms"
[ "$t" -le 1000 ] || fail "BIRD kept the withdrawn route for ${t} ms (limit 1000)"
has 10.77.0.20/32 || fail "BIRD lost vm2's host route with the LAN"
gone_within() {  # PREFIX LIMIT_MS: prints the ms until BIRD no longer has PREFIX
    local start=$(now_ms)
    while has "$1"; do
        [ $(( $(now_ms) - start )) -gt 3000 ] && fail "BIRD still has $1 after 3 s"
        sleep 0.01
    done
    local took=$(( $(now_ms) - start ))
    [ "$took" -le "$2" ] || fail "BIRD kept $1 for ${took} ms (limit $2)"
    echo "$took"
}
kill -TERM "$(show_json vm0 | json_query "d['pid']")"
t0=$(gone_within 10.77.0.10/32 1000) || { echo "$t0"; exit 1; }
note "vm0 stopped (SIGTERM, static address): BIRD dropped 10.77.0.10/32 after ${t0} ms"
has 10.77.0.20/32 || fail "BIRD lost vm2's /32 when vm0 stopped"
kill -KILL "$(show_json vm2 | json_query "d['pid']")"
t2=$(gone_within 10.77.0.20/32 1000) || { echo "$t2"; exit 1; }
note "vm2 killed (SIGKILL): BIRD dropped 10.77.0.20/32 after ${t2} ms"
pass "78-routes-bird: BIRD learned the host and announced routes from source 109, dropped a withdrawal in ${t} ms, a stopped host in ${t0} ms, a crashed one in ${t2} ms"
