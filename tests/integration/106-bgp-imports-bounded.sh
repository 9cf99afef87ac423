#!/usr/bin/env bash
# Imports are bounded (issue 16 item 2, routing.md T14): in r2's kernel, routes through ml-r2 via r1's virtual
# address appear as a routing daemon would install them (proto bird): one inside the bound r2 gives r1
# (10.77.0.0/24 up to /32, 192.168.0.0/16 up to /24) and others that are not: 172.16.0.0/12 and 192.168.70.0/25
# (outside-bound), 0.0.0.0/0 (martian), 192.168.0.0/16 and 192.168.16.0/20 (capture: they cover r2's own link
# network to r3, 192.168.23.0/24), and a route via host c's address (not-via-router). A copy of 192.168.23.0/24
# itself via r1 is neither: the kernel's connected route (metric 0) beats it, and mlink follows the kernel's
# choice. r2 takes only the first into
# forwarding, counts each refusal once by reason (`show`, mlink_import_refused_total), and its tunnels keep
# working, the capturing routes notwithstanding (its sockets are pinned to their links). No BIRD here: the kernel
# routes are what mlink reads, whoever writes them.
source "$(dirname "$0")/lib-bgp.sh"
need_root
bgp_lab bg6
echo "metrics-listen: 127.0.0.1:9106" >>"$TMP/r2.yaml"
up r1 r2 r3 c
bundle_up() { json r2 "[p for p in d['peers'] if p['name'] == '$1'][0]['connections'][0]['state']" 2>/dev/null | grep -qE "up|degraded"; }
for i in $(seq 250); do bundle_up r1 && bundle_up c && break; sleep 0.02; done
bundle_up r1 || fail "r2's session with r1 never came up: $(in_ns r2 "$MLINK" show ml-r2)"
add() { ip -n $P-r2 route add "$1" via "$2" dev ml-r2 proto bird metric 32 || fail "ip route add $1 via $2"; }
add 10.77.0.99/32 10.77.0.1
for prefix in 172.16.0.0/12 192.168.70.0/25 0.0.0.0/0 192.168.0.0/16 192.168.16.0/20 192.168.23.0/24; do add $prefix 10.77.0.1; done
add 10.99.0.0/24 10.77.0.20
imports() { json r2 "d.get('imports') or {}"; }
for i in $(seq 100); do
    [ "$(json r2 "len((d.get('imports') or {}).get('refused_routes', []))")" = 6 ] && break
    sleep 0.02
done
got=$(json r2 "' '.join(r['prefix'] + '@' + r['router'] for r in d['imports']['imported'])")
[ "$got" = "10.77.0.99/32@r1" ] || fail "r2 imports '$got', wanted only 10.77.0.99/32@r1: $(imports)"
refused=$(json r2 "' '.join(r['prefix'] + '=' + r['reason'] for r in d['imports']['refused_routes'])")
note "r2 refuses: $refused"
for want in 172.16.0.0/12=outside-bound 192.168.70.0/25=outside-bound 0.0.0.0/0=martian 192.168.0.0/16=capture \
            192.168.16.0/20=capture 10.99.0.0/24=not-via-router; do
    grep -qw "$want" <<<"$refused" || fail "r2 does not refuse $want: $refused"
done
grep -q "192.168.23.0/24" <<<"$refused $got" && fail "r2 judged 192.168.23.0/24, which its connected route shadows"
totals=$(json r2 "' '.join(k + '=' + str(v) for k, v in sorted(d['imports']['refused_total'].items()))")
[ "$totals" = "capture=2 martian=1 not-via-router=1 outside-bound=2" ] || fail "refusal counts: $totals"
metrics=$(in_ns r2 curl -s http://127.0.0.1:9106/metrics 2>/dev/null || in_ns r2 python3 -c \
    "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9106/metrics').read().decode())")
grep -qE '^mlink_import_refused_total\{interface="ml-r2",reason="capture"\} 2$' <<<"$metrics" \
    || fail "metrics lack mlink_import_refused_total capture 2: $(grep import <<<"$metrics")"
grep -qE '^mlink_imported_routes\{interface="ml-r2",router="r1"\} 1$' <<<"$metrics" \
    || fail "metrics lack mlink_imported_routes r1 1: $(grep import <<<"$metrics")"
in_ns r2 "$MLINK" show ml-r2 | grep -qE "192\.168\.0\.0/16 +via 10\.77\.0\.1 +proto bird +refused: capture" \
    || fail "show does not list the refused capture: $(in_ns r2 "$MLINK" show ml-r2)"
# A re-read of the same routes (BIRD's scan re-adding them) counts nothing again.
ip -n $P-r2 route replace 172.16.0.0/12 via 10.77.0.1 dev ml-r2 proto bird metric 32
sleep 0.2
[ "$(json r2 "d['imports']['refused_total']['outside-bound']")" = 2 ] || fail "a replaced route was counted again"
# The tunnels keep working: c (on r2) reaches r1 through r2's session with r1, whose datagrams are pinned to e21
# although 192.168.0.0/16 now points into ml-r2. r1 learns c's /32 via r2 as BIRD would install it (without it
# r1 neither accepts c's address from r2 nor routes the reply).
ip -n $P-r1 route add 10.77.0.20/32 via 10.77.0.2 dev ml-r1 proto bird metric 32 || fail "route for c on r1"
for i in $(seq 50); do json r1 "' '.join(r['prefix'] for r in d['imports']['imported'])" | grep -qw 10.77.0.20/32 && break; sleep 0.02; done
in_ns c ping -c 3 -i 0.2 -W 1 10.77.0.1 >"$TMP/ping.txt" || fail "c cannot reach r1 through r2: $(cat "$TMP/ping.txt")"
bundle_up r1 || fail "r2's session with r1 fell"
# Removal: the accepted route goes when the kernel route goes.
ip -n $P-r2 route del 10.77.0.99/32 via 10.77.0.1 dev ml-r2 proto bird metric 32
for i in $(seq 50); do [ -z "$(json r2 "' '.join(r['prefix'] for r in d['imports']['imported'])")" ] && break; sleep 0.02; done
[ -z "$(json r2 "' '.join(r['prefix'] for r in d['imports']['imported'])")" ] || fail "r2 kept the removed import"
pass "106-bgp-imports-bounded: r2 imported only 10.77.0.99/32 via r1, refused $totals, tunnels kept working"
