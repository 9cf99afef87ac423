#!/usr/bin/env bash
# Lease timers (issue 13): with lease-time 12 s the host renews at T1 (6 s: its expiry moves forward while the
# router answers), keeps its address while the router is gone (SIGKILL, no goodbye) until the lease expires,
# then removes it from the TUN device, and takes it back when the router returns.
source "$(dirname "$0")/lib-lease.sh"
need_root
R=lr$$
new_ns "$R"
lease_router "$R" "{prefix: 10.77.0.0/24, lease-time: 12s}"
lease_host 1
on_router "$MLINK" up "$TMP/lr.yaml" 2>"$TMP/up-r.err" || { cat "$TMP/up-r.err"; fail "router up"; }
on_host 1 "$MLINK" up "$TMP/lh1.yaml" 2>"$TMP/up-h.err" || { cat "$TMP/up-h.err"; fail "host up"; }
wait_lease 1 2000 >/dev/null || fail "no lease within 2 s"
first=$(leased 1)
expires() { on_host 1 "$MLINK" show ml-lh --json | json_query "d['leases']['host'].get('expires_in', -1)"; }
e0=$(expires)
sleep 7
e1=$(expires)
python3 -c "import sys; sys.exit(0 if $e1 > 8 else 1)" || fail "no renewal at T1: expires_in $e0 then $e1 7 s later"
note "renewed at T1: expires_in $e0 s at start, $e1 s 7 s later"
on_host 1 "$MLINK" show ml-lh | grep -q "lease: $first, renew in" || fail "show text: $(on_host 1 "$MLINK" show ml-lh)"

kill -9 "$(json_query "d['pid']" <"$TMP/run-r/ml-lr.state")" || fail "no router core"
killed=$(now_ms)
left=$(expires)
while [ -n "$(leased 1)" ]; do
    [ $(( $(now_ms) - killed )) -gt 20000 ] && fail "address still there 20 s after the router died (lease 12 s)"
    sleep 0.05
done
gone=$(( $(now_ms) - killed ))
python3 -c "import sys; sys.exit(0 if $gone >= ($left - 1.5) * 1000 else 1)" || fail "address removed after $gone ms, $left s were left"
note "router killed: $first kept $gone ms, removed at expiry ($left s were left)"
[ -f "$TMP/state-h1/ml-lh/lease" ] && fail "an expired lease is still saved"

on_router "$MLINK" down ml-lr >/dev/null 2>&1
on_router "$MLINK" up "$TMP/lr.yaml" 2>/dev/null || fail "router up again"
back=$(now_ms)
wait_lease 1 10000 >/dev/null || fail "no lease after the router came back"
[ "$(leased 1)" = "$first" ] || fail "the router gave $(leased 1) instead of $first (its hold)"
note "router back: $first again after $(( $(now_ms) - back )) ms"
on_host 1 "$MLINK" down ml-lh 2>/dev/null; on_router "$MLINK" down ml-lr 2>/dev/null
pass "renew at T1, address kept until expiry ($gone ms) while the router was dead, removed then, same address back"
