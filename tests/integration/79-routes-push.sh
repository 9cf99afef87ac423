#!/usr/bin/env bash
# Distribution and acceptance (issue 13 item 4): the router pushes 172.16.0.0/16 and 203.0.113.0/24
# (push-routes); vm0 takes the default policy (private: the first only), vm2 has `accept-routes: none`. The
# metrics endpoint reports the distributed routes by status.
source "$(dirname "$0")/lib-routes.sh"
need_root
seed_lab rtp$$
echo "push-routes: [172.16.0.0/16, 203.0.113.0/24]" >>"$LABDIR/vm1.yaml"
sed -i -E 's#^(  virtual-ip: .*)$#\1\n  accept-routes: none#' "$LABDIR/vm2.yaml"
echo "metrics-listen: 127.0.0.1:9477" >>"$LABDIR/vm0.yaml"
start_mlink vm1 vm0 vm2
wait_route vm0 172.16.0.0/16 present 5 >/dev/null || fail "vm0 never got the pushed 172.16.0.0/16: $(ip -n $L-vm0 route)"
sleep 0.3
[ "$(mlink_routes vm0 | tr '\n' ' ')" = "172.16.0.0/16 " ] || fail "vm0's mlink routes: $(mlink_routes vm0)"
[ -z "$(mlink_routes vm2)" ] || fail "vm2 (accept-routes: none) installed $(mlink_routes vm2)"
d0=$(routes_json vm0 "'; '.join(x['prefix'] + ' ' + x['detail'] + (' pushed' if x['pushed'] else '') for x in r['distributed'])")
d2=$(routes_json vm2 "'; '.join(x['prefix'] + ' ' + x['reason'] for x in r['distributed'])")
note "vm0: $d0"
note "vm2: $d2"
[ "$d0" = "172.16.0.0/16 installed pushed; 203.0.113.0/24 skipped: not accepted (accept-routes) pushed" ] || fail "vm0's show: $d0"
[ "$d2" = "172.16.0.0/16 not-accepted; 203.0.113.0/24 not-accepted" ] || fail "vm2's show: $d2"
metrics=$(in_host vm0 python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9477/metrics', timeout=3).read().decode())")
grep -qE '^mlink_routes_distributed\{interface="ml-vm0",status="installed"\} 1$' <<<"$metrics" || fail "metrics: $(grep mlink_route <<<"$metrics")"
grep -qE '^mlink_routes_distributed\{interface="ml-vm0",status="skipped"\} 1$' <<<"$metrics" || fail "metrics: $(grep mlink_route <<<"$metrics")"
pass "79-routes-push: push-routes distributed; private taken, public skipped, none installs nothing; metrics agree"
