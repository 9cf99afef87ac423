#!/usr/bin/env bash
# Cookies under load (docs/PROTOCOL.md 5.2): a flood of valid-mac1 initiations from 1000 source addresses (added
# to the flooder namespace's interface, routed back from the router, so the cookie replies do reach them) at the
# router's port while the real host restarts: the host must get its session within 1 s (its first echo after
# `up` answered) and its traffic must flow; the router's CPU over the flood is printed and must stay under one
# core. Without cookies the flood empties the global handshake bucket and the host gets no session while it lasts.
source "$(dirname "$0")/lib-lab.sh"
need_root
cat >"$TMP/flood.yaml" <<'TOPOLOGY'
virtual-network: 10.77.0.0/24
hosts:
  b: {role: router, virtual-ip: 10.77.0.1, listen-port: 7000}
  a: {virtual-ip: 10.77.0.2}
  f: {virtual-ip: 10.77.0.3}
nets:
  net0: {ends: [a eth0 192.168.100.1/24, b eth0 192.168.100.2/24]}
  net1: {ends: [a eth1 192.168.101.1/24, b eth1 192.168.101.2/24]}
  net2: {ends: [f eth0 192.168.102.1/24, b eth2 192.168.102.2/24]}
TOPOLOGY
lab_profiles cf$$ "$TMP/flood.yaml" a
start_mlink b a
in_host a ping -c 3 -i 0.2 -w 5 10.77.0.1 >/dev/null || fail "tunnel did not come up"

# 1000 flood sources 10.99.0.1 onwards on f's interface; the router answers them through f.
python3 -c "
for n in range(1, 1001): print(f'address add 10.99.{n >> 8}.{n & 255}/32 dev eth0')" >"$TMP/addresses.batch"
ip -n "$L-f" -batch "$TMP/addresses.batch" || fail "adding the flood addresses"
ip -n "$L-b" route add 10.99.0.0/22 via 192.168.102.1 || fail "route back to the flood"

pid=$(show_json b | json_query "d['pid']")
cpu() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
hz=$(getconf CLK_TCK)
cpu_before=$(cpu "$pid")
in_host f "$LAB" flood --to 192.168.102.2:7000 --router-key "$(cat "$LABDIR/b.pub")" --interface eth0 \
    --first-source 10.99.0.1 --sources 1000 --rate 20000 --seconds 6 >"$TMP/flood.json" 2>"$TMP/flood.err" &
flood=$!
sleep 1.5
in_host a "$MLINK" down ml-a 2>"$TMP/down.err" || { cat "$TMP/down.err"; fail "mlink down"; }
start_mlink a
t0=$(now_ms)
in_host a ping -c 1 -W 2 10.77.0.1 >"$TMP/first.txt" 2>&1 || { cat "$TMP/first.txt"; show_json b >&2; fail "no session for the restarted host during the flood"; }
t1=$(now_ms)
cookies=$(show_json a | json_query "d['peers'][0]['cookies']")
in_host a ping -c 20 -i 0.05 -W 1 10.77.0.1 >"$TMP/stream.txt" 2>&1
read -r tx rx dup < <(ping_stats "$TMP/stream.txt")
wait "$flood" || { cat "$TMP/flood.err"; fail "the flood tool failed"; }
cpu_after=$(cpu "$pid")
sent=$(json_query "d['sent']" <"$TMP/flood.json"); seconds=$(json_query "round(d['seconds'], 2)" <"$TMP/flood.json")
replies=$(show_json b | json_query "d['drops']['cookie_replies']")
limited=$(show_json b | json_query "d['drops']['rate_limited']")
router_cpu=$(python3 -c "print(round(($cpu_after - $cpu_before) / $hz, 2))")
note "flood: $sent initiations from 1000 sources in $seconds s; router: $replies cookie replies, $limited rate-limited, ${router_cpu} s CPU"
note "restarted host: first echo answered $((t1 - t0)) ms after up returned (cookies accepted: $cookies); stream $rx/$tx during the flood"
[ $((t1 - t0)) -lt 1000 ] || fail "the host's session took $((t1 - t0)) ms (limit 1000) during the flood"
[ "$cookies" -ge 1 ] || fail "the host got its session without a cookie: was the router under load?"
[ "$rx" = "$tx" ] || fail "traffic during the flood: $rx of $tx echoes"
[ "$replies" -ge $((sent / 2)) ] || fail "only $replies cookie replies for $sent initiations"
python3 -c "import sys; sys.exit(0 if $router_cpu < $seconds else 1)" || fail "the router used ${router_cpu} s of CPU in $seconds s"
pass "flood of $sent valid-mac1 initiations from 1000 sources: restarted host's session in $((t1 - t0)) ms, $rx/$tx echoes, router CPU ${router_cpu} s over $seconds s"
