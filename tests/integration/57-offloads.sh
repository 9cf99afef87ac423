#!/usr/bin/env bash
# Both sides of each offload switch (issue 11): with the defaults the TUN device negotiates csum/tso4/tso6 (and
# uso4/uso6 on Linux 6.2 and later) and every link socket UDP GSO, `show --json` says so, and a TCP transfer
# through the tunnel arrives byte-identical while the host cuts TSO super-packets into segments
# (tun.super_packets > 0) and the router coalesces the delivered segments into fewer TUN writes
# (tun.coalesced_segments > 0, tun.writes < tun.tx_packets); with MLINK_TUN_USO=0 the TUN device has the TCP
# offloads only; with MLINK_TUN_OFFLOAD=0 and MLINK_UDP_GSO=0 the same transfer takes the plain paths (no virtio
# header, sendmmsg, one write per packet) and show reports none.
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
    show_json vm1 >"$TMP/show-router-$1.json" || fail "$1: show --json on the router"
    local offloads gso supers coalesced writes written
    offloads=$(json_query "' '.join(d['tun']['offloads'])" <"$TMP/show-$1.json")
    gso=$(json_query "sorted(set(l['udp_gso'] and l['udp_gro'] for l in d['links']))" <"$TMP/show-$1.json")
    supers=$(json_query "d['tun']['super_packets']" <"$TMP/show-$1.json")
    coalesced=$(json_query "d['tun']['coalesced_segments']" <"$TMP/show-router-$1.json")
    writes=$(json_query "d['tun']['writes']" <"$TMP/show-router-$1.json")
    written=$(json_query "d['tun']['tx_packets']" <"$TMP/show-router-$1.json")
    note "$1: tun offloads '$offloads', link udp_gso and udp_gro $gso, super-packets cut $supers," \
        "router: $written packets in $writes TUN writes ($coalesced coalesced), 8 MiB byte-identical"
    [ "$offloads" = "$2" ] || fail "$1: tun offloads '$offloads', expected '$2'"
    [ "$gso" = "$3" ] || fail "$1: link udp_gso $gso, expected $3"
    if [ -n "$2" ]; then
        [ "$supers" -gt 0 ] || fail "$1: no TSO super-packet was cut"
        [ "$coalesced" -gt 0 ] || fail "$1: the router coalesced no delivered segment"
        [ "$writes" -lt "$written" ] || fail "$1: $writes TUN writes for $written packets: no fewer writes"
    else
        [ "$supers" = 0 ] || fail "$1: super-packets without TSO"
        [ "$coalesced" = 0 ] || fail "$1: coalesced without a virtio header"
        [ "$writes" = "$written" ] || fail "$1: $writes TUN writes for $written packets without coalescing"
    fi
    in_host vm0 "$MLINK" down vm0 2>/dev/null || fail "$1: down vm0"
    in_host vm1 "$MLINK" down vm1 2>/dev/null || fail "$1: down vm1"
}

# USO needs Linux 6.2: expect it where the kernel has it.
uso=""
if [ "$(printf '%s\n' 6.2 "$(uname -r)" | sort -V | head -1)" = 6.2 ]; then uso=" uso4 uso6"; fi
run_mode offloads "csum tso4 tso6$uso" "[True]"
MLINK_TUN_USO=0 run_mode tcp-offloads "csum tso4 tso6" "[True]"
MLINK_TUN_OFFLOAD=0 MLINK_UDP_GSO=0 run_mode plain "" "[False]"
pass "offloads on (csum tso4 tso6$uso, UDP GSO and GRO, super-packets cut, delivered segments coalesced), without USO, and off (plain TUN, sendmmsg, plain reads and writes): 8 MiB byte-identical each way"
