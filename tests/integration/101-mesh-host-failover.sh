#!/usr/bin/env bash
# A host on two routers (issue 16 item 4): hm lists r1 (`router`, preference 0) and r2 (`routers`, preference 10)
# and keeps a session to both; hb sits on r2 only. hm pings hb every 5 ms through r1 (its current router, 20 ms
# RTT on both of hm's nets), then r1 is SIGKILLed: hm must switch to r2 within 1 s (the longest gap between
# replies is measured and printed). r1 is started again: hm stays on r2 for its preempt-delay (3 s here) and then
# moves back exactly once. PREFERRED: each router shows what hm told it.
#
#   hm e1 192.168.13.2 --(10 ms)-- r1 --- rr 192.168.10.0/24 --- r2 --(10 ms)-- 192.168.14.2 e2 hm;  r2 -- hb
source "$(dirname "$0")/lib-mesh.sh"
need_root
cat >"$TMP/mesh.yaml" <<'TOPO'
virtual-network: 10.77.0.0/24
hosts:
  r2: {role: router, virtual-ip: 10.77.0.2, listen-port: 7000}
  r1: {virtual-ip: 10.77.0.1}
  hm: {virtual-ip: 10.77.0.80}
  hb: {virtual-ip: 10.77.0.100}
nets:
  net0: {ends: [r1 rr 192.168.10.1/24, r2 rr 192.168.10.2/24]}
  net1: {ends: [hm e1 192.168.13.2/24, r1 hm 192.168.13.1/24], emulate: {delay: 10ms}}
  net2: {ends: [hm e2 192.168.14.2/24, r2 hm 192.168.14.1/24], emulate: {delay: 10ms}}
  net3: {ends: [hb e0 192.168.12.2/24, r2 hb 192.168.12.1/24]}
TOPO
# The lab builds namespaces and emulated wires only (it knows one router); the test writes the profiles.
mesh_lab "$TMP/mesh.yaml" mf$$
R1=$(key r1) R2=$(key r2) HM=$(key hm) HB=$(key hb)
printf '%s\n' "name: r1" "role: router" "private-key-file: r1.key" "interface: {name: ml-r1, address: 10.77.0.1/24}" \
    "links: [rr, hm]" "peers:" "  - {name: hm, public-key: $HM, allowed-ips: [10.77.0.80/32]}" \
    "  - {name: r2, role: router, public-key: $R2, endpoints: [192.168.10.2:7000], allowed-ips: [10.77.0.2/32, 10.77.0.96/27]}" \
    >"$TMP/r1.yaml"
printf '%s\n' "name: r2" "role: router" "private-key-file: r2.key" "interface: {name: ml-r2, address: 10.77.0.2/24}" \
    "links: [rr, hm, hb]" "peers:" "  - {name: hm, public-key: $HM, allowed-ips: [10.77.0.80/32]}" \
    "  - {name: hb, public-key: $HB, allowed-ips: [10.77.0.100/32]}" \
    "  - {name: r1, role: router, public-key: $R1, endpoints: [192.168.10.1:7000], allowed-ips: [10.77.0.1/32, 10.77.0.64/27]}" \
    >"$TMP/r2.yaml"
printf '%s\n' "name: hm" "private-key-file: hm.key" "interface: {name: ml-hm, address: 10.77.0.80/24}" "links: [e1, e2]" \
    "preempt-delay: 3" \
    "router: {name: r1, public-key: $R1, endpoints: ['192.168.13.1:7000'], virtual-ip: 10.77.0.1}" \
    "routers:" "  - {name: r2, public-key: $R2, endpoints: ['192.168.14.1:7000'], virtual-ip: 10.77.0.2, preference: 10}" \
    >"$TMP/hm.yaml"
printf '%s\n' "name: hb" "private-key-file: hb.key" "interface: {name: ml-hb, address: 10.77.0.100/24}" "links: [e0]" \
    "router: {name: r2, public-key: $R2, endpoints: ['192.168.12.1:7000'], virtual-ip: 10.77.0.2}" >"$TMP/hb.yaml"
chmod 600 "$TMP"/*.yaml
up r1 r2 hb hm
wait_for hm "d['router_choice']['current'] == 'r1' and p['r1']['session'] and p['r2']['session']" 5 \
    || fail "hm is not on r1 with both sessions: $(status hm "d.get('router_choice'), [(x['name'], x['session']) for x in d['peers']]")"
wait_for hm "p['r2']['mesh']['live_for_s'] is not None" 5 || fail "hm's session to r2 is not live"
wait_for r1 "p['hm']['mesh']['preferred'] == True" 3 || fail "r1 did not hear PREFERRED 1 from hm: $(status r1 "p['hm'].get('mesh')")"
wait_for r2 "p['hm']['mesh']['preferred'] == False" 3 || fail "r2 did not hear PREFERRED 0 from hm: $(status r2 "p['hm'].get('mesh')")"
wait_for hb "p['r2']['session']" 5 || fail "hb has no session"
in_ns hm ping -c 3 -i 0.1 -w 5 10.77.0.100 >/dev/null || fail "hm cannot reach hb through r1"
via_r1=$(status r1 "p['hm']['forwarded']")
[ "$via_r1" -ge 3 ] || fail "hm's pings did not go through r1 ($via_r1 forwarded)"
note "hm current r1 (preference 0), hot standby r2; routers heard PREFERRED 1 and 0"

# 5 ms ping stream for 4 s; r1 is killed 1.5 s in.
in_ns hm ping -D -i 0.005 -W 1 -w 4 10.77.0.100 >"$TMP/stream.txt" 2>&1 &
pinger=$!
sleep 1.5
kill -9 "$(status r1 "d['pid']")" || fail "cannot kill r1's core"
killed=$(now_ms)
wait $pinger
gap=$(python3 -c "
import re
t = [float(m.group(1)) for m in map(re.compile(r'^\[([0-9.]+)\].*icmp_seq=').match, open('$TMP/stream.txt')) if m]
print(round(max(b - a for a, b in zip(t, t[1:])) * 1000) if len(t) > 1 else 99999)")
read -r tx rx dup < <(ping_stats "$TMP/stream.txt")
note "r1 SIGKILLed: longest gap between replies ${gap} ms ($rx of $tx replies)"
[ "$gap" -le 1000 ] || fail "traffic stopped for ${gap} ms after r1 died (limit 1000)"
wait_for hm "d['router_choice']['current'] == 'r2' and d['router_choice']['switches'] == 1" 1 \
    || fail "hm after r1 died: $(status hm "d['router_choice']")"
wait_for r2 "p['hm']['mesh']['preferred'] == True" 2 || fail "r2 did not hear PREFERRED 1 after the switch"

# r1 returns: hm stays on r2 for the hold-down, then moves back once.
in_ns r1 "$MLINK" down ml-r1 >/dev/null 2>&1
up r1
restarted=$(now_ms)
changes=0 last=r2 back=0
while [ $(( $(now_ms) - restarted )) -lt 8000 ]; do
    current=$(status hm "d['router_choice']['current']")
    if [ -n "$current" ] && [ "$current" != "$last" ]; then
        changes=$(( changes + 1 )); last=$current; [ "$current" = r1 ] && back=$(( $(now_ms) - restarted ))
    fi
    sleep 0.05
done
[ "$last" = r1 ] && [ "$changes" = 1 ] || fail "after r1 returned: current $last after $changes changes"
[ "$back" -ge 3000 ] || fail "hm moved back ${back} ms after r1 restarted, before the 3 s hold-down"
wait_for hm "d['router_choice']['switches'] == 2" 1 || fail "switches: $(status hm "d['router_choice']")"
wait_for r1 "p['hm']['mesh']['preferred'] == True" 2 || fail "the restarted r1 did not hear PREFERRED 1"
in_ns hm ping -c 3 -i 0.1 -w 5 10.77.0.100 >/dev/null || fail "hm cannot reach hb after moving back"
pass "101-mesh-host-failover: switch to r2 in ${gap} ms at 20 ms RTT after SIGKILL of r1; back to r1 once, ${back} ms after its restart (hold-down 3 s)"
