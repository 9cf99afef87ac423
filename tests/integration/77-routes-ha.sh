#!/usr/bin/env bash
# Two hosts announce one LAN (issue 13, routing.md T9): vm2 (preference 10) and vm3 (preference 20) both sit on
# lan50 and announce 192.168.50.0/24; vm2 is primary. vm0 sends a UDP datagram every 5 ms to 192.168.50.10 on the
# LAN; both of vm2's links are cut silently (nets at 10 ms each way: RTT 20 ms). The stream must move to vm3
# within 1 s (the longest gap at the receiver is printed). After the repair vm2 takes the prefix back exactly
# once, only after the router's preempt-delay (3 s here), with no flapping.
source "$(dirname "$0")/lib-routes.sh"
need_root
cat >"$TMP/ha.yaml" <<'TOPO'
virtual-network: 10.77.0.0/24
hosts:
  vm1: {role: router, virtual-ip: 10.77.0.1, listen-port: 7000}
  vm0: {virtual-ip: 10.77.0.10}
  vm2: {virtual-ip: 10.77.0.20}
  vm3: {virtual-ip: 10.77.0.30}
nets:
  net0: {ends: [vm0 enp0s3 192.168.0.2/24, vm1 enp0s3 192.168.0.3/24]}
  net1: {ends: [vm0 enp0s8 192.168.1.2/24, vm1 enp0s8 192.168.1.3/24]}
  net2: {ends: [vm2 enp0s3 192.168.2.2/24, vm1 enp0s9 192.168.2.3/24], emulate: {delay: 10ms}}
  net3: {ends: [vm2 enp0s8 192.168.3.2/24, vm1 enp0s10 192.168.3.3/24], emulate: {delay: 10ms}}
  net4: {ends: [vm3 enp0s3 192.168.4.2/24, vm1 enp0s11 192.168.4.3/24], emulate: {delay: 10ms}}
  net5: {ends: [vm3 enp0s8 192.168.5.2/24, vm1 enp0s12 192.168.5.3/24], emulate: {delay: 10ms}}
TOPO
seed_lab rth$$ "$TMP/ha.yaml"
LAN=rthl$$
new_ns $LAN
ip -n $LAN link add br0 type bridge && ip -n $LAN link set br0 up || fail "bridge"
addr $LAN br0 192.168.50.10/24
for h in vm2 vm3; do
    veth "$L-$h" lan0 $LAN "p$h"; ip -n $LAN link set "p$h" master br0 up
    ip netns exec "$L-$h" sysctl -qw net.ipv4.ip_forward=1
done
addr "$L-vm2" lan0 192.168.50.2/24; addr "$L-vm3" lan0 192.168.50.3/24
echo "announce: [{prefix: 192.168.50.0/24, preference: 10}]" >>"$LABDIR/vm2.yaml"
echo "announce: [{prefix: 192.168.50.0/24, preference: 20}]" >>"$LABDIR/vm3.yaml"
allow_routes vm2 "[192.168.50.0/24]"; allow_routes vm3 "[192.168.50.0/24]"
echo "preempt-delay: 3" >>"$LABDIR/vm1.yaml"
start_mlink vm1 vm0 vm3 vm2
wait_route vm0 192.168.50.0/24 present 5 >/dev/null || fail "vm0 never got the LAN route"
# vm3 came up first and took the prefix; vm2, strictly preferred, takes it over after the 3 s hold-down (one
# failover). The count below is relative to that.
primary() { routes_json vm1 "r['shared'][0]['primary'] + ' ' + ','.join(r['shared'][0]['standbys']) + ' ' + str(r['failovers'] - $f0)"; }
f0=0
for i in $(seq 200); do [ "$(primary)" = "vm2 vm3 1" ] && break; sleep 0.05; done
[ "$(primary)" = "vm2 vm3 1" ] || fail "vm1's shared prefix before the cut: $(primary) (expected vm2 after one preemption)"
f0=1
note "vm2 took the prefix over from vm3 (which came up first) after the hold-down"

# The stream: vm0 sends for 5 s; the LAN host records arrival times.
ip netns exec $LAN python3 - >"$TMP/arrivals.txt" <<'PY' &
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.168.50.10", 9999)); s.settimeout(8)
try:
    while True:
        data = s.recv(64); print(int(data), time.monotonic(), flush=True)
except socket.timeout:
    pass
PY
receiver=$!
sleep 0.3
in_host vm0 python3 - <<'PY' &
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start = time.monotonic()
for seq in range(1000):
    s.sendto(str(seq).encode(), ("192.168.50.10", 9999))
    time.sleep(max(0, start + (seq + 1) * 0.005 - time.monotonic()))
PY
sender=$!
sleep 2
"$LAB" cut net2 --lab "$L" >/dev/null 2>&1 && "$LAB" cut net3 --lab "$L" >/dev/null 2>&1 || fail "cut vm2's nets"
cut_at=$(now_ms)
wait $sender
wait $receiver
gap=$(python3 -c "
import sys
t = [float(l.split()[1]) for l in open('$TMP/arrivals.txt')]
print(round(max(b - a for a, b in zip(t, t[1:])) * 1000))")
received=$(wc -l <"$TMP/arrivals.txt")
note "vm2's links cut: longest gap at the LAN host ${gap} ms (${received} of 1000 datagrams arrived)"
[ "$(primary)" = "vm3  1" ] || fail "vm1's shared prefix after the cut: $(primary)"
[ "$gap" -le 1000 ] || fail "the stream stopped for ${gap} ms (limit 1000)"

# Repair: vm2 is strictly preferred and returns; it takes over once, after the 3 s hold-down.
"$LAB" restore net2 --lab "$L" >/dev/null 2>&1 && "$LAB" restore net3 --lab "$L" >/dev/null 2>&1 || fail "restore"
restored=$(now_ms)
sleep 1.5
[ "$(primary)" = "vm3 vm2 1" ] || fail "vm2 took the prefix back before the hold-down: $(primary)"
changes=0; last="vm3"
while [ $(( $(now_ms) - restored )) -lt 9000 ]; do
    p=$(primary); p=${p%% *}
    if [ "$p" != "$last" ]; then changes=$(( changes + 1 )); last=$p; [ "$p" = vm2 ] && back=$(( $(now_ms) - restored )); fi
    sleep 0.1
done
[ "$last" = vm2 ] && [ "$changes" = 1 ] || fail "after the repair: primary $last, $changes changes ($(primary))"
note "vm2 back: primary again ${back} ms after the repair (hold-down 3 s plus its bundle coming up), exactly once"
[ "$(primary)" = "vm2 vm3 2" ] || fail "vm1's shared prefix at the end: $(primary)"
pass "77-routes-ha: failover in ${gap} ms at RTT 20 ms; preferred host back once after the hold-down"
