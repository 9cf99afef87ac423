#!/usr/bin/env bash
# Pairings learnt, not probed forever: in the seed lab vm0 makes a connection from every link to every router
# endpoint, and two of them can never work (enp0s3 is on net0, the router's 192.168.1.3 on net1; enp0s8 and
# 192.168.0.3 likewise). They must show `unreachable` (not `probing`) in show --json, the text and the metrics
# state, and cost at most one probe per 5 s, while the working pairings stay up.
source "$(dirname "$0")/lib.sh"
need_root
L=lu$$
lab_up "$ROOT/examples/lab/seed.yaml" "$L"
RUN=/run/mlink-lab/$L
in_ns() { local host=$1; shift; "$LAB" exec "$host" --lab "$L" -- "$@"; }
tun_of() { basename "$(ls "$RUN"/run/"$1"/*.state)" .state; }
show() { in_ns vm0 env MLINK_RUN_DIR="$RUN/run/vm0" "$MLINK" show "$@" "$(tun_of vm0)"; }
in_ns vm0 ping -c 10 -i 0.1 -w 10 10.77.0.20 >/dev/null || fail "tunnel did not come up"
# connection LINK REMOTE FIELD: a field of vm0's connection from LINK to REMOTE.
connection() {
    show --json | json_query "[c for c in d['peers'][0]['connections'] if c['link'] == '$1' and c['remote'].startswith('$2:')][0]['$3']"
}
for _ in $(seq 1 30); do
    [ "$(connection enp0s3 192.168.1.3 state)" = unreachable ] && break
    sleep 0.5
done
state=$(connection enp0s3 192.168.1.3 state)
[ "$state" = unreachable ] || { show >&2; fail "enp0s3 -> 192.168.1.3 is $state, not unreachable, 15 s after up"; }
[ "$(connection enp0s8 192.168.0.3 state)" = unreachable ] || fail "enp0s8 -> 192.168.0.3 is not unreachable"
for pair in "enp0s3 192.168.0.3" "enp0s8 192.168.1.3"; do
    read -r link remote <<<"$pair"
    [ "$(connection "$link" "$remote" state)" = up ] || fail "the working pairing $link -> $remote is not up"
done
show | grep -E "enp0s3 .*192\.168\.1\.3:7000 +unreachable" >/dev/null || { show >&2; fail "show's text does not say unreachable"; }
before=$(connection enp0s3 192.168.1.3 tx_packets)
working_before=$(connection enp0s3 192.168.0.3 tx_packets)
sleep 15
after=$(connection enp0s3 192.168.1.3 tx_packets)
working_after=$(connection enp0s3 192.168.0.3 tx_packets)
note "enp0s3 -> 192.168.1.3: unreachable, $((after - before)) probes in 15 s (the working enp0s3 -> 192.168.0.3: $((working_after - working_before)))"
[ $((after - before)) -le 4 ] || fail "the unreachable pairing cost $((after - before)) probes in 15 s (at most 1 per 5 s)"
pass "impossible pairings show unreachable and cost $((after - before)) probes in 15 s; working pairings up"
