#!/usr/bin/env bash
# Routes cross between routers through the kernel and BGP (issue 16 item 2, routing.md T12): three routers r1-r3
# in a full mesh of mlink router sessions, each running Debian's bird2 with the shipped examples/bird/rN.conf
# (iBGP full mesh + BFD 100 ms x 3 over the tunnel, kernel protocol learning proto 109, MED from the metric).
# Host a on r1 reaches host b on r3 and the LAN 192.168.70.0/24 announced by host c on r2. r1's kernel has
# b's /32 via r3's virtual address proto bird, and r1's `show` lists it as imported via r3, with no refusal. When
# c leaves, BIRD withdraws its LAN and r1's import goes (the time from c's `down` is printed; limit 2 s).
source "$(dirname "$0")/lib-bgp.sh"
need_root
command -v bird >/dev/null && command -v birdc >/dev/null || skip "needs bird2 (scripts/install-deps.sh)"
bgp_lab bg5
trap 'stop_birds; cleanup' EXIT
up r1 r2 r3
for n in 1 2 3; do start_bird $n; done
up a b c
t=$(wait_kernel r1 "^10\.77\.0\.30 via 10\.77\.0\.3 dev ml-r1 proto bird" 20) \
    || fail "r1's kernel never got b's /32 via r3: $(ip -n $P-r1 route; birdc_r 1 show protocols)"
note "r1's kernel has b's /32 via r3 (proto bird) ${t} ms after the hosts' up"
wait_kernel r1 "^192\.168\.70\.0/24 via 10\.77\.0\.2 dev ml-r1 proto bird" 10 >/dev/null \
    || fail "r1's kernel never got c's LAN via r2: $(ip -n $P-r1 route)"
wait_kernel r3 "^10\.77\.0\.10 via 10\.77\.0\.1 dev ml-r3 proto bird" 10 >/dev/null \
    || fail "r3's kernel never got a's /32 via r1: $(ip -n $P-r3 route)"
# r1's mlink reads them back: imported via the router whose address is the gateway.
imported() { json "$1" "' '.join(sorted(r['prefix'] + '@' + r['router'] for r in (d.get('imports') or {}).get('imported', [])))"; }
for i in $(seq 100); do imported r1 | grep -q "10.77.0.30/32@r3" && imported r1 | grep -q "192.168.70.0/24@r2" && break; sleep 0.02; done
got=$(imported r1)
note "r1 imports: $got"
for want in 10.77.0.30/32@r3 10.77.0.20/32@r2 192.168.70.0/24@r2; do
    grep -qw "$want" <<<"$got" || fail "r1 does not import $want (imports: $got)"
done
grep -q "10.77.0.10/32" <<<"$got" && fail "r1 imports its own host a's /32: $got"
in_ns r1 "$MLINK" show ml-r1 | grep -qE "10\.77\.0\.30/32 +via r3 \(10\.77\.0\.3\)" \
    || fail "r1's show does not list b's /32 as imported via r3: $(in_ns r1 "$MLINK" show ml-r1)"
refused=$(json r1 "sum((d.get('imports') or {}).get('refused_total', {}).values())")
[ "$refused" = 0 ] || fail "r1 refused $refused imports: $(json r1 "d['imports']")"
# a reaches c's LAN through the table r1 distributes (the import beside the push-routes).
wait_kernel a "^192\.168\.70\.0/24 dev ml-a proto 109" 5 >/dev/null || fail "a never got 192.168.70.0/24: $(ip -n $P-a route)"
in_ns a ping -c 3 -i 0.2 -W 1 10.77.0.30 >"$TMP/ping-b.txt" || fail "a cannot ping b on r3: $(cat "$TMP/ping-b.txt")"
in_ns a ping -c 3 -i 0.2 -W 1 192.168.70.10 >"$TMP/ping-lan.txt" || fail "a cannot ping c's LAN on r2: $(cat "$TMP/ping-lan.txt")"
in_ns b ping -c 3 -i 0.2 -W 1 192.168.70.10 >"$TMP/ping-bl.txt" || fail "b cannot ping c's LAN: $(cat "$TMP/ping-bl.txt")"
note "a pings b ($(grep -oE 'rtt [^ ]+ = [0-9.]+/[0-9.]+' "$TMP/ping-b.txt")) and 192.168.70.10 ($(grep -oE 'rtt [^ ]+ = [0-9.]+/[0-9.]+' "$TMP/ping-lan.txt"))"
# Withdrawal: c stops (an empty announcement on its way out); r2 removes the LAN's kernel route, BGP withdraws it,
# r1's kernel and then r1's import lose it.
start=$(now_ms)
in_ns c "$MLINK" down ml-c 2>/dev/null &
down=$!
gone2=""
until ! imported r1 | grep -q "192.168.70.0/24@r2"; do
    [ -z "$gone2" ] && ! ip -n $P-r2 route show | grep -q "^192\.168\.70\.0/24 " && gone2=$(( $(now_ms) - start ))
    [ $(( $(now_ms) - start )) -gt 5000 ] && fail "r1 still imports c's LAN 5 s after c's down: $(ip -n $P-r1 route)"
    sleep 0.01
done
t=$(( $(now_ms) - start ))
[ -n "$gone2" ] || gone2=$t
wait $down || fail "mlink down c"
ip -n $P-r1 route show | grep -q "^192\.168\.70\.0/24 " && fail "r1's kernel kept c's LAN after the import went"
note "c down: r2's kernel route gone after ${gone2} ms, r1's import after ${t} ms (BGP and r1's read-back: $(( t - gone2 )) ms)"
[ $(( t - gone2 )) -le 1000 ] || fail "from r2's kernel to r1's import took $(( t - gone2 )) ms (limit 1000)"
pass "105-bgp-three-routers: a on r1 reaches b on r3 and c's LAN on r2 through BIRD iBGP+BFD; imports listed via r3/r2, withdrawal seen in ${t} ms"
