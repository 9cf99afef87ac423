#!/usr/bin/env bash
# Every offload forced off at once (issue 11, "also with each offload forced off"): MLINK_TUN_OFFLOAD=0,
# MLINK_TUN_USO=0 and MLINK_UDP_GSO=0 on all three daemons of the seed lab (host vm0, router vm1, host vm2).
# Through the router, vm0 -> vm1 -> vm2: a 16 MiB TCP transfer arrives byte-identical, and 2 s of UDP at
# 50 Mbit/s (1300-byte datagrams) arrive with at most 1% lost; then `show --json` of every daemon reports no TUN
# offload and no UDP GSO/GRO on any link, no super-packet cut and one TUN write per packet (the plain paths
# carried it all). 57-offloads.sh covers each switch alone, host to router; the data-path tests (20-24, 41-43,
# 50-56, 85) were run once with each switch off (docs/BENCHMARKS.md). About 20 s.
source "$(dirname "$0")/lib.sh"
need_root
command -v iperf3 >/dev/null || skip "needs iperf3 (scripts/install-deps.sh)"
export MLINK_TUN_OFFLOAD=0 MLINK_TUN_USO=0 MLINK_UDP_GSO=0
L=lo$$
lab_up "$ROOT/examples/lab/seed.yaml" "$L"
on_host() { local host=$1; shift; ip netns exec "$L-$host" env MLINK_RUN_DIR="/run/mlink-lab/$L/run/$host" "$@"; }
"$LAB" exec vm0 --lab "$L" -- ping -c 20 -i 0.05 -w 10 10.77.0.20 >/dev/null || fail "tunnel did not come up"

head -c 16777216 /dev/urandom >"$TMP/payload"
COPY="$(dirname "$0")/tcp-copy.py"
"$LAB" exec vm2 --lab "$L" -- timeout 30 python3 "$COPY" receive 10.77.0.20 5001 "$TMP/received" &
server=$!
sleep 0.5
"$LAB" exec vm0 --lab "$L" -- timeout 30 python3 "$COPY" send 10.77.0.20 5001 "$TMP/payload" || fail "sending the file"
wait $server
cmp -s "$TMP/payload" "$TMP/received" || fail "the 16 MiB file arrived altered or incomplete"

"$LAB" exec vm2 --lab "$L" -- iperf3 -s -1 -D -B 10.77.0.20 >/dev/null 2>&1
sleep 0.5
"$LAB" exec vm0 --lab "$L" -- timeout 20 iperf3 -c 10.77.0.20 -u -b 50M -l 1300 -t 2 -J >"$TMP/udp.json" 2>&1 \
    || { tail -5 "$TMP/udp.json"; fail "iperf3 UDP failed"; }
lost=$(json_query "d['end']['sum']['lost_percent']" <"$TMP/udp.json") || fail "iperf3 UDP output"
packets=$(json_query "d['end']['sum']['packets']" <"$TMP/udp.json")
python3 -c "import sys; sys.exit(0 if float('$lost') <= 1.0 else 1)" || fail "UDP lost $lost% of $packets datagrams (bound 1%)"

for host in vm0 vm1 vm2; do
    on_host "$host" "$MLINK" show "ml-$host" --json >"$TMP/show-$host.json" || fail "show --json on $host"
    facts=$(json_query "' '.join(d['tun']['offloads']) + '|' + str(sorted(set(bool(l['udp_gso'] or l['udp_gro']) for l in d['links']))) + '|' + str(d['tun']['super_packets']) + '|' + str(d['tun']['writes']) + '|' + str(d['tun']['tx_packets'])" <"$TMP/show-$host.json") \
        || fail "$host: show --json lacks the offload fields"
    IFS='|' read -r offloads gso supers writes written <<<"$facts"
    note "$host: tun offloads '$offloads', link udp gso/gro $gso, super-packets $supers, $written packets in $writes TUN writes"
    [ -z "$offloads" ] || fail "$host: tun offloads '$offloads' with MLINK_TUN_OFFLOAD=0"
    [ "$gso" = "[False]" ] || fail "$host: a link has UDP GSO or GRO with MLINK_UDP_GSO=0 ($gso)"
    [ "$supers" = 0 ] || fail "$host: $supers super-packets without TUN offloads"
    [ "$writes" = "$written" ] || fail "$host: $writes TUN writes for $written packets without a virtio header"
done
[ "$(json_query "d['tun']['tx_packets']" <"$TMP/show-vm2.json")" -gt 10000 ] || fail "vm2 received too few packets"
pass "all offloads off on host, router and host: 16 MiB TCP through the router byte-identical, UDP at 50 Mbit/s lost $lost% of $packets, plain paths only"
