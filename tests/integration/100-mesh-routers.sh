#!/usr/bin/env bash
# Two routers, one host on each (issue 16 item 1): r1 and r2 list each other as `role: router` peers with
# endpoints; the lower public key dials (PROTOCOL.md section 5, rule 6) and the other answers. Static slices:
# r1 serves 10.77.0.64/27 (ha .70), r2 10.77.0.96/27 (hb .100); each router's peer entry for the other covers the
# other's slice. ha pings hb and r2's virtual address through both routers (one router hop), and both routers
# show the session with the right roles.
#
#   ha e0 192.168.11.2 -- 192.168.11.1 ha  r1  rr 192.168.10.1 -- 192.168.10.2 rr  r2  hb 192.168.12.1 -- 192.168.12.2 e0 hb
source "$(dirname "$0")/lib-mesh.sh"
need_root
P=mm$$
for n in r1 r2 ha hb; do new_ns "$P-$n"; done
veth $P-r1 rr $P-r2 rr; addr $P-r1 rr 192.168.10.1/24; addr $P-r2 rr 192.168.10.2/24
veth $P-ha e0 $P-r1 ha; addr $P-ha e0 192.168.11.2/24; addr $P-r1 ha 192.168.11.1/24
veth $P-hb e0 $P-r2 hb; addr $P-hb e0 192.168.12.2/24; addr $P-r2 hb 192.168.12.1/24
R1=$(key r1) R2=$(key r2) HA=$(key ha) HB=$(key hb)
router_profile() { # NAME VIP LINKS HOST HOSTKEY HOSTIP OTHER OTHERKEY OTHERENDPOINT OTHERIPS
    printf '%s\n' "name: $1" "role: router" "private-key-file: $1.key" "interface: {name: ml-$1, address: $2/24}" \
        "links: $3" "peers:" "  - {name: $4, public-key: $5, allowed-ips: [$6/32]}" \
        "  - {name: $7, role: router, public-key: $8, endpoints: [$9], allowed-ips: ${10}}" >"$TMP/$1.yaml"
}
host_profile() { # NAME IP ROUTERKEY ENDPOINT VIP
    printf '%s\n' "name: $1" "private-key-file: $1.key" "interface: {name: ml-$1, address: $2/24}" "links: [e0]" \
        "router: {name: r, public-key: $3, endpoints: [$4], virtual-ip: $5}" >"$TMP/$1.yaml"
}
router_profile r1 10.77.0.1 "[rr, ha]" ha "$HA" 10.77.0.70 r2 "$R2" 192.168.10.2:7000 "[10.77.0.2/32, 10.77.0.96/27]"
router_profile r2 10.77.0.2 "[rr, hb]" hb "$HB" 10.77.0.100 r1 "$R1" 192.168.10.1:7000 "[10.77.0.1/32, 10.77.0.64/27]"
host_profile ha 10.77.0.70 "$R1" 192.168.11.1:7000 10.77.0.1
host_profile hb 10.77.0.100 "$R2" 192.168.12.1:7000 10.77.0.2
chmod 600 "$TMP"/*.yaml
start=$(now_ms)
up r1 r2 ha hb
wait_for r1 "p['r2']['session'] and p['r2']['connections'][0]['state'] == 'up'" 5 || fail "r1 has no session with r2: $(status r1 "p['r2']")"
wait_for r2 "p['r1']['session']" 5 || fail "r2 has no session with r1"
note "router session up $(( $(now_ms) - start )) ms after the first up"
# Exactly one dials: the lower key (python compares the decoded bytes as the engine does).
lower=$(python3 -c "import base64; print('r1' if base64.b64decode('$R1') < base64.b64decode('$R2') else 'r2')")
d1=$(status r1 "p['r2']['mesh']['dialled']"); d2=$(status r2 "p['r1']['mesh']['dialled']")
expected=$([ "$lower" = r1 ] && echo "True False" || echo "False True")
[ "$d1 $d2" = "$expected" ] || fail "dialled: r1 $d1, r2 $d2 (the lower key is $lower's)"
[ "$(status r1 "p['r2']['mesh']['role']")" = router ] || fail "r1 does not show r2 as a router peer"
refused=$(( $(status r1 "p['r2']['handshakes_refused']") + $(status r2 "p['r1']['handshakes_refused']") ))
[ "$refused" = 0 ] || fail "$refused crossing initiations refused"
note "$lower dials (lower key), the other answers"

wait_for ha "p['r']['session']" 5 || fail "ha has no session"
wait_for hb "p['r']['session']" 5 || fail "hb has no session"
in_ns ha ping -c 5 -i 0.1 -w 5 10.77.0.100 >"$TMP/ping-hb.txt" || { cat "$TMP/ping-hb.txt"; fail "ha cannot ping hb across r1 and r2"; }
in_ns ha ping -c 3 -i 0.1 -w 5 10.77.0.2 >"$TMP/ping-r2.txt" || { cat "$TMP/ping-r2.txt"; fail "ha cannot ping r2's virtual address"; }
in_ns hb ping -c 3 -i 0.1 -w 5 10.77.0.70 >"$TMP/ping-ha.txt" || { cat "$TMP/ping-ha.txt"; fail "hb cannot ping ha"; }
read -r tx rx dup < <(ping_stats "$TMP/ping-hb.txt")
[ "$rx" = "$tx" ] && [ "$dup" = 0 ] || fail "ha to hb: $tx sent, $rx received, $dup duplicates"
fwd1=$(status r1 "p['ha']['forwarded']"); fwd2=$(status r2 "p['r1']['forwarded']")
[ "$fwd1" -ge 5 ] && [ "$fwd2" -ge 5 ] || fail "forwarded: r1 from ha $fwd1, r2 from r1 $fwd2 (expected >= 5 each)"
rtt=$(grep -oE 'rtt min/avg/max/mdev = [0-9.]+/[0-9.]+' "$TMP/ping-hb.txt" | cut -d/ -f5)
pass "100-mesh-routers: ha pings hb through r1 and r2 ($rx/$tx, avg ${rtt} ms), $lower dials, no crossing handshakes"
