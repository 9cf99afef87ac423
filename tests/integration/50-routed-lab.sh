#!/usr/bin/env bash
# Routed lab: the host reaches the router only through two gateways that NAT (nftables masquerade), each on its
# own link, across an "internet" namespace:
#
#   rth (h1 10.1.0.2) -- (10.1.0.1) rtg1 [masquerade] (198.51.100.2) --+
#                                                                      rti -- (203.0.113.10) rtr, the router
#   rth (h2 10.2.0.2) -- (10.2.0.1) rtg2 [masquerade] (198.51.100.6) --+
#
# The host's main table has only h1's default route; h2's sits in table 200 that no rule consults (as a DHCP
# client with per-link tables leaves it), so before mlink a socket pinned to h2 cannot reach the router at all,
# and anything bound to h2's address leaves through h1. mlink must install one table and one rule per link
# (protocol 109) with the gateway it finds for each (h1's in main, h2's in table 200), carry
# traffic over both gateways, follow a link that leaves and comes back, and leave nothing behind on `down`,
# also after the core was killed. The host names the router by a DNS name (/etc/netns/NS/hosts, which
# `ip netns exec` mounts over /etc/hosts): when the router moves to a new address and every connection fails,
# the host resolves the name again and the tunnel comes back.
source "$(dirname "$0")/lib-rt.sh"
need_root
command -v nft >/dev/null || skip "needs nft"
H=rth$$ G1=rtg1$$ G2=rtg2$$ I=rti$$ R=rtr$$
for ns in $H $G1 $G2 $I $R; do new_ns "$ns"; done
mkdir -p /etc/netns/$H && echo "203.0.113.10 rtrouter.test" >/etc/netns/$H/hosts
trap 'rm -rf /etc/netns/$H; cleanup' EXIT
veth $H h1 $G1 g1in;  addr $H h1 10.1.0.2/24;  addr $G1 g1in 10.1.0.1/24
veth $H h2 $G2 g2in;  addr $H h2 10.2.0.2/24;  addr $G2 g2in 10.2.0.1/24
veth $G1 g1out $I i1; addr $G1 g1out 198.51.100.2/30; addr $I i1 198.51.100.1/30
veth $G2 g2out $I i2; addr $G2 g2out 198.51.100.6/30; addr $I i2 198.51.100.5/30
veth $R r0 $I i3;     addr $R r0 203.0.113.10/24; addr $I i3 203.0.113.1/24
ip -n $H route add default via 10.1.0.1 dev h1 metric 100
ip -n $H route add default via 10.2.0.1 dev h2 table 200
ip -n $G1 route add default via 198.51.100.1
ip -n $G2 route add default via 198.51.100.5
ip -n $R route add default via 203.0.113.1
for ns in $G1 $G2 $I; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done
masquerade() {
    printf 'table ip rtnat {\n chain post {\n  type nat hook postrouting priority 100\n  oifname "%s" masquerade\n }\n}\n' "$2" \
        | ip netns exec "$1" nft -f - || fail "nft masquerade on $1"
}
masquerade $G1 g1out
masquerade $G2 g2out

routed_profiles "[rtrouter.test:7000]"
rules_before=$(ip -n $H -j rule)
# What the kernel does for a socket bound to h2's address and pinned to h2 (as mlink's are): no route yet.
pinned() { ip -n $H route get 203.0.113.10 from 10.2.0.2 oif h2 2>&1; }
pinned | grep -q "via 10.2.0.1 dev h2" && fail "a socket pinned to h2 reaches the router before mlink runs: $(pinned)"
before=$(pinned | head -1 | tr -s ' ')  # "dev h2" without a gateway: ARP for the router on h2, in vain
host "$MLINK" check "$TMP/rth.yaml" >"$TMP/check.txt" || fail "check exited $?"
grep -A6 "source routing" "$TMP/check.txt" | sed "s/^/  /"
grep -q "^\[#\] ip rule add from 10.2.0.2 lookup 1090[01] priority 10900 proto 109$" "$TMP/check.txt" \
    || fail "check does not preview h2's rule: $(cat "$TMP/check.txt")"
router "$MLINK" up "$TMP/rtr.yaml" 2>"$TMP/up-r.err" || { cat "$TMP/up-r.err"; fail "router up"; }
host "$MLINK" up "$TMP/rth.yaml" 2>"$TMP/up-h.err" || { cat "$TMP/up-h.err"; fail "host up"; }
grep -q '^\[#\] ip rule add from 10.2.0.2 lookup 1090[01] priority 10900 proto 109$' "$TMP/up-h.err" \
    || fail "up did not echo the rules the core installed: $(cat "$TMP/up-h.err")"

host ping -c 5 -i 0.2 -w 10 10.77.0.1 >"$TMP/ping0.txt" || { cat "$TMP/ping0.txt"; fail "no ping through the tunnel"; }

# One rule per link, protocol 109, each to its own table holding that link's gateway.
rules=$(ip -n $H -j rule show)
for pair in "h1 10.1.0.2 10.1.0.1" "h2 10.2.0.2 10.2.0.1"; do
    read -r link src gw <<<"$pair"
    table=$(echo "$rules" | json_query "[r['table'] for r in d if r.get('src')=='$src' and r.get('protocol') in ('mlink','109',109)]" | tr -dc '0-9')
    [ -n "$table" ] || fail "no rule from $src (proto 109): $rules"
    ip -n $H route show table "$table" | grep -q "default via $gw dev $link proto 109" \
        || fail "table $table lacks default via $gw dev $link: $(ip -n $H route show table "$table")"
    note "$link: from $src lookup $table -> default via $gw"
done
ip -n $H route get 203.0.113.10 from 10.2.0.2 | grep -q "via 10.2.0.1 dev h2" \
    || fail "traffic from h2's address does not leave through h2: $(ip -n $H route get 203.0.113.10 from 10.2.0.2)"
pinned | grep -q "via 10.2.0.1 dev h2" || fail "a socket pinned to h2 still has no way to the router: $(pinned)"
note "a socket pinned to h2: before up '$before', now '$(pinned | head -1 | tr -s ' ')'"

# Both gateways carry copies: 50 echoes add at least 50 packets out of each gateway's uplink.
tx() { ip -n "$1" -j -s link show "$2" | json_query "d[0]['stats64']['tx']['packets']"; }
a1=$(tx $G1 g1out); a2=$(tx $G2 g2out)
host ping -c 50 -i 0.02 -w 10 10.77.0.1 >"$TMP/ping1.txt" || fail "ping over both links"
b1=$(tx $G1 g1out); b2=$(tx $G2 g2out)
note "copies out of gateway 1: $((b1 - a1)), gateway 2: $((b2 - a2)) for 50 echoes"
[ $((b1 - a1)) -ge 50 ] && [ $((b2 - a2)) -ge 50 ] || fail "a gateway carried too little: $((b1 - a1)), $((b2 - a2))"
host "$MLINK" show ml-rth | sed 's/^/  | /'
show=$(host "$MLINK" show ml-rth --json)
echo "$show" | json_query "sorted((c['link'], c['state'] in ('up', 'degraded')) for c in d['peers'][0]['connections'])" \
    | grep -qx "\[('h1', True), ('h2', True)\]" || fail "connections not both up: $show"

# A link that leaves takes its table and rule along; back, it gets them again.
ip -n $H link set h2 down
sleep 1
ip -n $H rule show | grep -q "from 10.2.0.2" && fail "rule of h2 stayed after h2 went down"
ip -n $H link set h2 up
ip -n $H route add default via 10.2.0.1 dev h2 table 200 2>/dev/null  # the kernel dropped it with the link
for _ in $(seq 1 20); do ip -n $H rule show | grep -q "from 10.2.0.2" && break; sleep 0.1; done
ip -n $H rule show | grep -q "from 10.2.0.2" || fail "rule of h2 did not come back"
note "h2 down: its rule and table left; h2 up: they came back"

# The router moves to 203.0.113.20 and the name follows (rewritten in place: the mount keeps the inode).
ip -n $R address del 203.0.113.10/24 dev r0 && ip -n $R address add 203.0.113.20/24 dev r0 \
    && ip -n $R route replace default via 203.0.113.1 || fail "moving the router"
echo "203.0.113.20 rtrouter.test" >/etc/netns/$H/hosts
moved=$(now_ms)
for _ in $(seq 1 150); do host ping -c 1 -W 0.2 10.77.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
host ping -c 3 -i 0.2 -w 3 10.77.0.1 >/dev/null || { router "$MLINK" show; host "$MLINK" show; fail "no tunnel after the router moved"; }
note "router moved to a new address: the host resolved its name again, tunnel back after $(( $(now_ms) - moved )) ms"
host "$MLINK" show ml-rth --json | json_query "d['router_endpoints']" | grep -q "203.0.113.20:7000" || fail "endpoint not updated"

verify_clean() {
    [ "$(ip -n $H -j rule)" = "$rules_before" ] || fail "$1: rules left behind: $(ip -n $H rule)"
    left=$(ip -n $H route show table all proto 109; ip -n $H -6 route show table all proto 109)
    [ -z "$left" ] || fail "$1: routes left behind: $left"
}
host "$MLINK" down ml-rth 2>"$TMP/down-h.err" || { cat "$TMP/down-h.err"; fail "host down"; }
verify_clean "down"

# A core killed with SIGKILL cannot clean up: `down` removes its tables and rules.
host "$MLINK" up "$TMP/rth.yaml" 2>"$TMP/up-h2.err" || { cat "$TMP/up-h2.err"; fail "host up again"; }
for _ in $(seq 1 20); do [ "$(ip -n $H rule show | grep 'from 10.[12].0.2' | grep -c 'lookup 1090')" = 2 ] && break; sleep 0.1; done
[ "$(ip -n $H rule show | grep 'from 10.[12].0.2' | grep -c 'lookup 1090')" = 2 ] || fail "rules not back after the second up"
kill -9 "$(json_query "d['pid']" <"$TMP/run-h/ml-rth.state")"
sleep 0.2
host "$MLINK" down ml-rth 2>"$TMP/down-h2.err" || { cat "$TMP/down-h2.err"; fail "down after SIGKILL"; }
grep -q '^\[#\] ip rule del from 10.2.0.2' "$TMP/down-h2.err" || fail "down did not echo the rules it removed: $(cat "$TMP/down-h2.err")"
verify_clean "down after SIGKILL"
ip -n $R rule show | grep -q "from 203.0.113.20 lookup" || fail "the router has no rule for its uplink's gateway"
router "$MLINK" down ml-rtr 2>/dev/null || fail "router down"
[ -z "$(ip -n $R rule show | grep 'proto 109\|proto mlink'; ip -n $R route show table all proto 109)" ] \
    || fail "router down left routing behind: $(ip -n $R rule show)"
pass "routed lab: two NAT gateways, one table and rule per link (proto 109), copies over both, router renamed, down leaves nothing (also after SIGKILL)"
