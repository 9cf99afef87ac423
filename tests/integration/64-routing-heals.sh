#!/usr/bin/env bash
# Source routing heals: a link taken down and up again at once (`ip link set LINK down; ip link set LINK up`,
# static addresses, nobody re-adds a route) loses every route through it, mlink's per-link table included, and
# the kernel says nothing about the routes it flushed. The core must put the table back within 1 s, from the
# gateway it last used, and traffic over that link must resume. A table someone flushes by hand comes back
# too, and the heal is counted (show --json `heals`, metric mlink_source_routing_heals_total).
#
#   rth (h1 10.1.0.2) -- (10.1.0.1) hlg1 [masquerade] --+
#                                                       hli -- (203.0.113.10) hlr, the router
#   rth (h2 10.2.0.2) -- (10.2.0.1) hlg2 [masquerade] --+
#
# h1's gateway is in the main table, h2's in table 200 that no rule consults (a DHCP client's per-link table).
source "$(dirname "$0")/lib-rt.sh"
need_root
command -v nft >/dev/null || skip "needs nft"
H=hlh$$ G1=hlg1$$ G2=hlg2$$ I=hli$$ R=hlr$$
for ns in $H $G1 $G2 $I $R; do new_ns "$ns"; done
veth $R r0 $I i3; addr $R r0 203.0.113.10/24; addr $I i3 203.0.113.1/24
ip -n $R route add default via 203.0.113.1
# gateway N NS: link hN of the host behind gateway NS (10.N.0.1, masquerading) to the internet (198.51.100.4N-3).
gateway() {
    local n=$1 ns=$2 up=$(( 4 * $1 - 2 ))
    veth $H h$n "$ns" in;  addr $H h$n 10.$n.0.2/24; addr "$ns" in 10.$n.0.1/24
    veth "$ns" out $I i$n; addr "$ns" out 198.51.100.$up/30; addr $I i$n 198.51.100.$(( up - 1 ))/30
    ip -n "$ns" route add default via 198.51.100.$(( up - 1 ))
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
    printf 'table ip hlnat {\n chain post {\n  type nat hook postrouting priority 100\n  oifname "out" masquerade\n }\n}\n' \
        | ip netns exec "$ns" nft -f - || fail "nft masquerade on $ns"
}
gateway 1 $G1
gateway 2 $G2
ip netns exec $I sysctl -qw net.ipv4.ip_forward=1
ip -n $H route add default via 10.1.0.1 dev h1 metric 100
ip -n $H route add default via 10.2.0.1 dev h2 table 200

routed_profiles "[203.0.113.10:7000]"
router "$MLINK" up "$TMP/rtr.yaml" 2>"$TMP/up-r.err" || { cat "$TMP/up-r.err"; fail "router up"; }
host "$MLINK" up "$TMP/rth.yaml" 2>"$TMP/up-h.err" || { cat "$TMP/up-h.err"; fail "host up"; }
host ping -c 5 -i 0.2 -w 10 10.77.0.1 >/dev/null || fail "no ping through the tunnel"

# table_of SRC: the table of mlink's rule from SRC.
table_of() {
    ip -n $H -j rule show | json_query "[r['table'] for r in d if r.get('src')=='$1' and r.get('protocol') in ('mlink','109',109) and r.get('table') != 'main']" | tr -dc '0-9'
}
# complete LINK SRC GW TABLE: the table has its default route and both rules are in place.
complete() {
    ip -n $H route show table "$4" | grep -q "^default via $3 dev $1 proto 109" \
        && ip -n $H route show table "$4" | grep -q "dev $1 proto 109 .*src $2" \
        && [ "$(ip -n $H rule show | grep -c "from $2 ")" = 2 ]
}
# connection_up LINK: the host's connection over LINK is up.
connection_up() {
    host "$MLINK" show ml-rth --json | json_query "any(c['link']=='$1' and c['state']=='up' for c in d['peers'][0]['connections'])" | grep -qx True
}
# heals LINK: the heal counter of LINK's entry.
heals() {
    host "$MLINK" show ml-rth --json | json_query "sum(e['heals'] for e in d['source_routing'] if e['link']=='$1')"
}

for pair in "h2 10.2.0.2 10.2.0.1" "h1 10.1.0.2 10.1.0.1"; do
    read -r link src gw <<<"$pair"
    table=$(table_of "$src")
    [ -n "$table" ] && complete "$link" "$src" "$gw" "$table" || fail "no complete table for $link: $(ip -n $H rule; ip -n $H route show table all proto 109)"
    ip -n $H link set "$link" down; ip -n $H link set "$link" up
    flapped=$(now_ms)
    # What the kernel left right after the flap: nothing of the link's routes, in any table.
    left=$(ip -n $H route show table all dev "$link" proto 109 | wc -l)
    back=never
    while [ $(( $(now_ms) - flapped )) -le 3000 ]; do
        table=$(table_of "$src")
        [ -n "$table" ] && complete "$link" "$src" "$gw" "$table" && { back=$(( $(now_ms) - flapped )); break; }
        sleep 0.02
    done
    note "$link down+up: $left mlink routes through it just after (the flush is instant, the core may be quicker than this check), table $table complete again after $back ms (limit 1000)"
    [ "$back" != never ] && [ "$back" -le 1000 ] || fail "$link's table not back within 1 s ($back): $(ip -n $H route show table all proto 109)"
    ip -n $H route get 203.0.113.10 from "$src" oif "$link" | grep -q "via $gw dev $link" \
        || fail "a socket pinned to $link has no way to the router: $(ip -n $H route get 203.0.113.10 from "$src" oif "$link" 2>&1)"
    resumed=never
    while [ $(( $(now_ms) - flapped )) -le 5000 ]; do
        connection_up "$link" && { resumed=$(( $(now_ms) - flapped )); break; }
        sleep 0.05
    done
    note "$link: connection up again $resumed ms after the flap"
    [ "$resumed" != never ] || { host "$MLINK" show ml-rth; fail "traffic over $link did not resume"; }
done
host ping -c 20 -i 0.05 -w 10 10.77.0.1 >"$TMP/ping.txt" || fail "no ping after the flaps"
read -r tx rx _ < <(ping_stats "$TMP/ping.txt")
note "after both flaps: $rx of $tx echoes through the tunnel"

# Someone flushes h2's table: the core puts it back and counts the heal.
table=$(table_of 10.2.0.2)
before=$(heals h2)
ip -n $H route flush table "$table"
flushed=$(now_ms)
back=never
while [ $(( $(now_ms) - flushed )) -le 3000 ]; do
    complete h2 10.2.0.2 10.2.0.1 "$table" && { back=$(( $(now_ms) - flushed )); break; }
    sleep 0.02
done
after=$(heals h2)
note "table $table flushed by hand: complete again after $back ms, heals of h2 $before -> $after"
[ "$back" != never ] && [ "$back" -le 1000 ] || fail "flushed table not back within 1 s ($back)"
[ "$after" -gt "$before" ] || fail "the heal was not counted ($before -> $after)"
host "$MLINK" show ml-rth | grep -q "healed" || fail "show does not mention the heal: $(host "$MLINK" show ml-rth)"
# Nothing else in the host's tables was touched: table 200 stays as the kernel left it (empty after the flap).
[ -z "$(ip -n $H route show table 200)" ] || fail "table 200 was touched: $(ip -n $H route show table 200)"

host "$MLINK" down ml-rth 2>/dev/null || fail "host down"
left=$(ip -n $H rule show | grep -c 'proto 109\|proto mlink'; ip -n $H route show table all proto 109 | wc -l)
[ "$(echo $left)" = "0 0" ] || fail "down left routing behind: $(ip -n $H rule; ip -n $H route show table all proto 109)"
router "$MLINK" down ml-rtr 2>/dev/null || fail "router down"
pass "link down+up: tables back within 1 s (h1 and h2, no route re-added), traffic resumed, a flushed table healed and counted"
