#!/usr/bin/env bash
# DECLINE (PROTOCOL.md §14.1): the slice has two addresses; host 1 takes one, and host 2 already has the other on
# a second interface (a veth pair). Host 2 is assigned it, declines it (in use locally), never configures it on its TUN; the
# router marks it declined and, with nothing left, refuses host 2 with pool-exhausted.
source "$(dirname "$0")/lib-lease.sh"
need_root
R=lr$$
new_ns "$R"
lease_router "$R" "{prefix: 10.77.0.0/24, allocate: 10.77.0.16/31}"
lease_host 1; lease_host 2
on_router "$MLINK" up "$TMP/lr.yaml" 2>"$TMP/up-r.err" || { cat "$TMP/up-r.err"; fail "router up"; }
on_host 1 "$MLINK" up "$TMP/lh1.yaml" 2>/dev/null || fail "host 1 up"
wait_lease 1 2000 >/dev/null || fail "host 1 has no lease"
taken=$(leased 1)
other=10.77.0.16; [ "${taken%/24}" = 10.77.0.16 ] && other=10.77.0.17
ip -n lh2$$ link add busy type veth peer name busy-peer && ip -n lh2$$ addr add "$other/32" dev busy && ip -n lh2$$ link set busy up \
    || fail "a second interface holding $other"
on_host 2 "$MLINK" up "$TMP/lh2.yaml" 2>/dev/null || fail "host 2 up"
start=$(now_ms)
until on_router "$MLINK" show ml-lr --json | json_query "d['leases']['declined']" | grep -qx 1; do
    [ $(( $(now_ms) - start )) -gt 5000 ] && fail "the router shows no declined address: $(on_router "$MLINK" show ml-lr)"
    sleep 0.05
done
until on_host 2 "$MLINK" show ml-lh --json | json_query "d['leases']['host'].get('last_refusal')" | grep -q pool-exhausted; do
    [ $(( $(now_ms) - start )) -gt 5000 ] && fail "host 2 shows no refusal: $(on_host 2 "$MLINK" show ml-lh)"
    sleep 0.05
done
[ -z "$(leased 2)" ] || fail "host 2 configured $(leased 2) on its TUN"
grep -q "declining $other/24: in-use-locally" "$TMP/run-h2/ml-lh.log" || fail "host 2 log: $(tail -5 "$TMP/run-h2/ml-lh.log")"
grep -q "^$other .* declined " "$TMP/state-r/ml-lr/leases" || fail "lease file: $(cat "$TMP/state-r/ml-lr/leases")"
note "host 2 declined $other (in use on its veth), was refused (pool-exhausted) $(( $(now_ms) - start )) ms after up"
on_host 2 "$MLINK" down ml-lh 2>/dev/null; on_host 1 "$MLINK" down ml-lh 2>/dev/null; on_router "$MLINK" down ml-lr 2>/dev/null
pass "a locally used address is declined, marked declined on the router, and never configured"
