#!/usr/bin/env bash
# Forbidden announcements are refused, counted, shown on the announcing host and appear in no kernel (issue 13,
# routing.md T7). The router vm1 allows vm2 [{192.168.0.0/16, max-length 24}, {10.0.0.0/8, max-length 24}] and
# routes 10.60.0.0/24 statically to vm0. vm2 announces 192.168.50.0/24 (the control case), 172.16.60.0/24 (not
# allowed), 192.168.50.0/25 (longer than max-length), 192.168.1.0/24 (vm1's own net1, where vm0 connects from),
# 10.60.0.0/24 (vm0's static allowed-ips) and 0.0.0.0/0 (martian). Host bits cannot be announced (the profile
# loader refuses them; the verdict is a unit test). A packet from vm2 with a refused source is dropped.
source "$(dirname "$0")/lib-routes.sh"
need_root
seed_lab rtf$$
sed -i -E 's#^(  - \{name: vm0, .*allowed-ips: \[10\.77\.0\.10/32)\]#\1, 10.60.0.0/24]#' "$LABDIR/vm1.yaml"
allow_routes vm2 "[{prefix: 192.168.0.0/16, max-length: 24}, {prefix: 10.0.0.0/8, max-length: 24}]"
printf '%s\n' "announce: [192.168.50.0/24, 172.16.60.0/24, 192.168.50.0/25, 192.168.1.0/24, 10.60.0.0/24, 0.0.0.0/0]" \
    >>"$LABDIR/vm2.yaml"
# check: an allowed-routes entry inside one of the router's link networks could never pass; named FILE:LINE:COL.
sed -E 's#allowed-routes: \[#allowed-routes: [192.168.1.128/25, #' "$LABDIR/vm1.yaml" >"$TMP/vm1-bad.yaml"
in_host vm1 "$MLINK" check "$TMP/vm1-bad.yaml" >/dev/null 2>"$TMP/check.err"; rc=$?
[ "$rc" = 78 ] && grep -qE "^$TMP/vm1-bad.yaml:[0-9]+:[0-9]+: peers\[1\]\.allowed-routes\[0\]: 192\.168\.1\.128/25 lies inside 192\.168\.1\.0/24 of link enp0s8" "$TMP/check.err" \
    || fail "check of an entry inside a link network: exit $rc, $(cat "$TMP/check.err")"
note "check: $(sed "s#$TMP/##" "$TMP/check.err")"
start_mlink vm1 vm0 vm2
wait_route vm0 192.168.50.0/24 present 5 >/dev/null || fail "the control case never reached vm0: $(ip -n $L-vm0 route)"
for i in $(seq 100); do
    [ "$(routes_json vm2 "'pending' in [a['verdict'] for a in r['announcements']]")" = False ] && break
    sleep 0.05
done
verdicts=$(routes_json vm2 "' '.join(a['verdict'] for a in r['announcements'])")
note "vm2's show: $verdicts"
[ "$verdicts" = "active not-allowed too-long overlaps-router overlaps-virtual martian" ] || fail "verdicts on vm2: $verdicts"
in_host vm2 "$MLINK" show ml-vm2 | grep -qE "172\.16\.60\.0/24 +preference 100 +not-allowed" || fail "vm2's show text: $(in_host vm2 "$MLINK" show ml-vm2)"
refused=$(routes_json vm1 "' '.join(f'{k}={v}' for k, v in sorted(r['refused'].items()))")
note "vm1 refused: $refused"
[ "$refused" = "martian=1 not-allowed=1 overlaps-router=1 overlaps-virtual=1 too-long=1" ] || fail "vm1's counts: $refused"
active=$(routes_json vm1 "r['active']")
[ "$active" = 1 ] || fail "vm1 active routes: $active"
for h in vm0 vm1 vm2; do
    for p in 172.16.60.0/24 192.168.50.0/25 192.168.1.0/24 10.60.0.0/24 default; do
        [ "$h/$p" = vm1/10.60.0.0/24 ] && continue  # vm0's static allowed-ips: `up` routes it on the router
        ip -n $L-$h route show proto 109 | awk '{print $1}' | grep -qx "$p" && fail "$p is in $h's kernel: $(ip -n $L-$h route show proto 109)"
    done
done
# vm0's tunnel over net1 still works: its own datagrams are not captured.
in_host vm0 ping -c 3 -i 0.2 -w 5 -I 192.168.1.2 192.168.1.3 >/dev/null || fail "vm0 lost net1"
in_host vm0 ping -c 3 -i 0.2 -w 5 10.77.0.1 >/dev/null || fail "vm0's tunnel broke"
# A source vm2 may not use: dropped and counted by the router.
before=$(show_json vm1 | json_query "[p for p in d['peers'] if p['name'] == 'vm2'][0]['source_rejected']")
ip -n $L-vm2 link add fake0 type veth peer name fake0p; ip -n $L-vm2 link set fake0p up; addr $L-vm2 fake0 172.16.60.5/24
in_host vm2 ping -c 3 -i 0.2 -W 1 -I 172.16.60.5 10.77.0.10 >/dev/null 2>&1 && fail "a refused source got through"
after=$(show_json vm1 | json_query "[p for p in d['peers'] if p['name'] == 'vm2'][0]['source_rejected']")
[ "$after" -ge $(( before + 3 )) ] || fail "source_rejected went from $before to $after"
note "vm2 pinging from 172.16.60.5: source_rejected $before -> $after"
pass "76-routes-refused: 5 refusals with their reasons on vm2, counted once each on vm1, in no kernel"
