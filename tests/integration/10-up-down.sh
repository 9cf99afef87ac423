#!/usr/bin/env bash
# `mlink up` on the router example in a namespace, checked against `ip -j`, then `mlink down` leaves nothing.
source "$(dirname "$0")/lib.sh"
need_root
NS=mlt-updown-$$
new_ns "$NS"
export MLINK_RUN_DIR=$TMP/run
ip -n "$NS" link add enp0s3 type veth peer name enp0s3p && ip -n "$NS" link set enp0s3p up && ip -n "$NS" addr add 192.168.0.3/24 dev enp0s3 && ip -n "$NS" link set enp0s3 up
sed -e 's/links: .*/links: [enp0s3]/' -e 's#allowed-ips: \[10.77.0.20/32\]#allowed-ips: [10.77.0.20/32, 192.168.50.0/24]#' \
    "$ROOT/examples/vm1.yaml" > "$TMP/vm1.yaml"
chmod 600 "$TMP/vm1.yaml"
grep -q 192.168.50.0/24 "$TMP/vm1.yaml" || fail "test profile lacks the extra allowed-ips route"
rules_before=$(ip -n "$NS" -j rule)

ip netns exec "$NS" "$MLINK" up "$TMP/vm1.yaml" 2>"$TMP/up.err" || { cat "$TMP/up.err"; fail "mlink up exited $?"; }
grep -q '^\[#\] ip address add 10.77.0.1/24 dev ml-vm1' "$TMP/up.err" || fail "up did not echo its side effects"

addr=$(ip -n "$NS" -j address show dev ml-vm1)
echo "$addr" | json_query "d[0]['addr_info'][0]['local']+'/'+str(d[0]['addr_info'][0]['prefixlen'])" | grep -qx 10.77.0.1/24 \
    || fail "address: $addr"
echo "$addr" | json_query "d[0]['mtu']" | grep -qx 1428 || fail "mtu is not 1500-72: $addr"
echo "$addr" | json_query "'UP' in d[0]['flags']" | grep -qx True || fail "link not up"
routes=$(ip -n "$NS" -j route show proto 109)
# The extra allowed-ips network is up's route; the hosts' /32s lie in 10.77.0.0/24 and get the core's route only
# while each host's bundle is up (no host runs here).
dsts=$(echo "$routes" | json_query "sorted(r['dst'] for r in d if r.get('dev')=='ml-vm1')")
[ "$dsts" = "['192.168.50.0/24']" ] || fail "routes through ml-vm1: $dsts (want only 192.168.50.0/24): $routes"
[ "$(ip -n "$NS" -j rule)" = "$rules_before" ] || fail "rules changed"
pid=$(json_query "d['pid']" < "$MLINK_RUN_DIR/ml-vm1.state")
running "$pid" || fail "core pid $pid not running"
ip netns exec "$NS" "$MLINK" show ml-vm1 --json | json_query "d['interface']" | grep -qx ml-vm1 || fail "show --json"
ip netns exec "$NS" "$MLINK" up "$TMP/vm1.yaml" 2>/dev/null && fail "second up succeeded"

ip netns exec "$NS" "$MLINK" down ml-vm1 2>"$TMP/down.err" || { cat "$TMP/down.err"; fail "down exited $?"; }
ip -n "$NS" link show ml-vm1 >/dev/null 2>&1 && fail "interface left behind"
[ -z "$(ip -n "$NS" route show proto 109)" ] || fail "routes left behind"
[ -z "$(ip -n "$NS" -6 route show proto 109)" ] || fail "IPv6 routes left behind"
[ "$(ip -n "$NS" -j rule)" = "$rules_before" ] || fail "rules left behind"
[ -z "$(ls -A "$MLINK_RUN_DIR")" ] || fail "files left in run dir: $(ls "$MLINK_RUN_DIR")"
sleep 0.2
running "$pid" && fail "core process $pid left behind"
ip netns exec "$NS" "$MLINK" down ml-vm1 2>/dev/null; [ $? = 69 ] || fail "down of a stopped interface should exit 69"

# A core killed with SIGKILL cleans nothing up: its TUN device goes with its descriptor, but the state file,
# socket, log and the per-link source routing (a default route through a gateway gives enp0s3 a table and
# rules) stay until `down`, which must then remove them without a core to stop.
ip -n "$NS" route add default via 192.168.0.1 dev enp0s3
ip netns exec "$NS" "$MLINK" up "$TMP/vm1.yaml" 2>"$TMP/up2.err" || { cat "$TMP/up2.err"; fail "second up exited $?"; }
grep -q '^\[#\] ip rule add from 192.168.0.3 lookup 10900 ' "$TMP/up2.err" || { cat "$TMP/up2.err"; fail "no source routing echoed"; }
pid=$(json_query "d['pid']" < "$MLINK_RUN_DIR/ml-vm1.state")
kill -9 "$pid"
for _ in $(seq 50); do running "$pid" || break; sleep 0.1; done
running "$pid" && fail "core $pid survived SIGKILL"
for _ in $(seq 50); do ip -n "$NS" link show ml-vm1 >/dev/null 2>&1 || break; sleep 0.1; done
ip -n "$NS" link show ml-vm1 >/dev/null 2>&1 && fail "the TUN device outlived its SIGKILLed core"
[ -e "$MLINK_RUN_DIR/ml-vm1.state" ] || fail "the killed core's state file is already gone"
[ -n "$(ip -n "$NS" rule show priority 10900)" ] || fail "the killed core left no rules: nothing to test"
[ -n "$(ip -n "$NS" route show table 10900 proto 109)" ] || fail "the killed core left no table: nothing to test"
ip netns exec "$NS" "$MLINK" down vm1 2>"$TMP/down2.err" || { cat "$TMP/down2.err"; fail "down after SIGKILL exited $?"; }
grep -q 'stop mlink core' "$TMP/down2.err" && fail "down tried to stop a dead core: $(cat "$TMP/down2.err")"
grep -q '^\[#\] ip rule del from 192.168.0.3 lookup 10900 ' "$TMP/down2.err" || { cat "$TMP/down2.err"; fail "down did not echo the sweep"; }
ip -n "$NS" link show ml-vm1 >/dev/null 2>&1 && fail "interface left behind after SIGKILL"
[ "$(ip -n "$NS" -j rule)" = "$rules_before" ] || fail "rules left behind after SIGKILL: $(ip -n "$NS" rule)"
[ -z "$(ip -n "$NS" route show table all proto 109)" ] || fail "routes left behind after SIGKILL: $(ip -n "$NS" route show table all proto 109)"
[ -z "$(ip -n "$NS" -6 route show table all proto 109)" ] || fail "IPv6 routes left behind after SIGKILL"
[ -z "$(ls -A "$MLINK_RUN_DIR")" ] || fail "files left in run dir after SIGKILL: $(ls "$MLINK_RUN_DIR")"
pass "up matches ip -j (address, mtu 1428, 1 route, rules untouched); down leaves nothing, also after kill -9 of the core"
