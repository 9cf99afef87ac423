#!/usr/bin/env bash
# Leases never collide (issue 13, routing notes T4): the router's slice is 10.77.0.16/28 (16 addresses, all
# usable inside the /24), one of them reserved by a peer's static allowed-ips (10.77.0.20, that peer never
# starts). 15 hosts with `address: auto` start at once, so hash collisions are certain and the slice fills up:
# the 15 addresses are distinct, inside the slice, never the reserved one, and each host pings the router.
# Then a 16th host is refused with reason pool-exhausted (its show says so), and the router counts it.
source "$(dirname "$0")/lib-lease.sh"
need_root
R=lr$$
new_ns "$R"
lease_router "$R" "{prefix: 10.77.0.0/24, allocate: 10.77.0.16/28, lease-time: 1h}"
for n in $(seq 1 16); do lease_host "$n"; done
lease_host 17 10.77.0.20/32   # the reservation: this host is never started
on_router "$MLINK" up "$TMP/lr.yaml" 2>"$TMP/up-r.err" || { cat "$TMP/up-r.err"; fail "router up"; }

start=$(now_ms)
for n in $(seq 1 15); do
    on_host "$n" "$MLINK" up "$TMP/lh$n.yaml" 2>"$TMP/up-h$n.err" &
done
wait
for n in $(seq 1 15); do
    wait_lease "$n" 10000 >/dev/null || fail "host $n has no lease 10 s after the start: $(tail -3 "$TMP/run-h$n/ml-lh.log")"
done
note "15 leases $(( $(now_ms) - start )) ms after the 15 ups started together"
addresses=$(for n in $(seq 1 15); do leased "$n"; done)
[ "$(sort -u <<<"$addresses" | wc -l)" = 15 ] || fail "duplicate addresses: $(sort <<<"$addresses" | uniq -c | tr '\n' ' ')"
for a in $addresses; do
    octet=${a#10.77.0.}; octet=${octet%/24}
    [ "$octet" -ge 16 ] && [ "$octet" -le 31 ] || fail "$a is outside the slice 10.77.0.16/28"
    [ "$octet" != 20 ] || fail "a host got the reserved 10.77.0.20"
done
note "addresses: $(tr '\n' ' ' <<<"$addresses")"
for n in $(seq 1 15); do
    on_host "$n" ping -c 1 -w 3 10.77.0.1 >/dev/null || fail "host $n ($(leased "$n")) cannot ping the router"
done

on_host 16 "$MLINK" up "$TMP/lh16.yaml" 2>"$TMP/up-h16.err" || { cat "$TMP/up-h16.err"; fail "host 16 up"; }
start=$(now_ms)
until on_host 16 "$MLINK" show ml-lh --json 2>/dev/null | json_query "d['leases']['host'].get('last_refusal')" | grep -q pool-exhausted; do
    [ $(( $(now_ms) - start )) -gt 5000 ] && fail "host 16 shows no refusal: $(on_host 16 "$MLINK" show ml-lh)"
    sleep 0.05
done
[ -z "$(leased 16)" ] || fail "host 16 got $(leased 16) from a full slice"
on_host 16 "$MLINK" show ml-lh | grep -q "lease: none (refused: pool-exhausted)" || fail "show text: $(on_host 16 "$MLINK" show ml-lh)"
refused=$(on_router "$MLINK" show ml-lr --json | json_query "d['leases']['exhausted_refusals']")
free=$(on_router "$MLINK" show ml-lr --json | json_query "d['leases']['free']")
[ "$refused" -ge 1 ] && [ "$free" = 0 ] || fail "router: $refused refusals, $free free"
note "host 16 refused (pool-exhausted) after $(( $(now_ms) - start )) ms; router counts $refused refusal(s), $free free"
on_router "$MLINK" show ml-lr | sed -n '/address pool/,/^$/p' | head -4 | sed 's/^/  /'
for n in $(seq 1 16); do on_host "$n" "$MLINK" down ml-lh 2>/dev/null || fail "host $n down"; done
on_router "$MLINK" down ml-lr 2>/dev/null || fail "router down"
pass "15 distinct leases in a 15-address slice, the 16th host refused with pool-exhausted"
