#!/usr/bin/env bash
# Both sides of each offload switch (issue 11): with the defaults the TUN device negotiates csum/tso4/tso6 and every
# link socket UDP GSO, `show --json` says so, and a TCP transfer through the tunnel arrives byte-identical while
# the host cuts TSO super-packets into segments (tun.super_packets > 0); with MLINK_TUN_OFFLOAD=0 and
# MLINK_UDP_GSO=0 the same transfer takes the plain paths (no virtio header, sendmmsg) and show reports none.
source "$(dirname "$0")/lib-rt.sh"
need_root
seed_lab off$$
head -c 8388608 /dev/urandom >"$TMP/payload"

transfer() {  # transfer MODE: 8 MiB vm0 -> router over TCP, checked byte for byte
    in_host vm1 timeout 30 python3 -c "
import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(('10.77.0.1',5002)); s.listen(1)
c,_=s.accept(); f=open('$TMP/received','wb')
while True:
    b=c.recv(65536)
    if not b: break
    f.write(b)
" &
    local server=$!
    sleep 0.5
    in_host vm0 timeout 30 python3 -c "
import socket
s=socket.create_connection(('10.77.0.1',5002)); s.sendall(open('$TMP/payload','rb').read()); s.close()
" || fail "$1: sending"
    wait $server
    cmp -s "$TMP/payload" "$TMP/received" || fail "$1: the file arrived altered or incomplete"
}

run_mode() {  # run_mode MODE EXPECTED_TUN_OFFLOADS EXPECTED_GSO
    start_mlink vm1 vm0
    in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "$1: tunnel did not come up"
    transfer "$1"
    show_json vm0 >"$TMP/show-$1.json" || fail "$1: show --json"
    local offloads gso supers
    offloads=$(json_query "' '.join(d['tun']['offloads'])" <"$TMP/show-$1.json")
    gso=$(json_query "sorted(set(l['udp_gso'] for l in d['links']))" <"$TMP/show-$1.json")
    supers=$(json_query "d['tun']['super_packets']" <"$TMP/show-$1.json")
    note "$1: tun offloads '$offloads', link udp_gso $gso, super-packets cut $supers, 8 MiB byte-identical"
    [ "$offloads" = "$2" ] || fail "$1: tun offloads '$offloads', expected '$2'"
    [ "$gso" = "$3" ] || fail "$1: link udp_gso $gso, expected $3"
    if [ -n "$2" ]; then [ "$supers" -gt 0 ] || fail "$1: no TSO super-packet was cut"; else [ "$supers" = 0 ] || fail "$1: super-packets without TSO"; fi
    in_host vm0 "$MLINK" down vm0 2>/dev/null || fail "$1: down vm0"
    in_host vm1 "$MLINK" down vm1 2>/dev/null || fail "$1: down vm1"
}

run_mode offloads "csum tso4 tso6" "[True]"
MLINK_TUN_OFFLOAD=0 MLINK_UDP_GSO=0 run_mode plain "" "[False]"
pass "offloads on (csum tso4 tso6, UDP GSO, super-packets cut) and off (plain TUN, sendmmsg): 8 MiB byte-identical both ways"
