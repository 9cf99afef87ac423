#!/usr/bin/env bash
# TCP through the tunnel VM0 -> VM1 -> VM2: iperf3 without errors, and a 20 MiB file arrives byte-identical.
source "$(dirname "$0")/lib.sh"
need_root
L=lc$$
lab_up "$ROOT/examples/lab/seed.yaml" "$L"
"$LAB" exec vm0 --lab "$L" -- ping -c 20 -i 0.05 -w 10 10.77.0.20 >/dev/null || fail "tunnel did not come up"
"$LAB" exec vm2 --lab "$L" -- iperf3 -s -1 -D -B 10.77.0.20 >/dev/null 2>&1
sleep 0.5
"$LAB" exec vm0 --lab "$L" -- timeout 30 iperf3 -c 10.77.0.20 -t 4 -J >"$TMP/iperf.json" 2>&1 || { tail -5 "$TMP/iperf.json"; fail "iperf3 failed"; }
mbps=$(json_query "round(d['end']['sum_received']['bits_per_second']/1e6,1)" <"$TMP/iperf.json") || fail "iperf3 output"
err=$(json_query "d.get('error','')" <"$TMP/iperf.json")
[ -z "$err" ] || fail "iperf3 error: $err"
head -c 20971520 /dev/urandom >"$TMP/payload"
"$LAB" exec vm2 --lab "$L" -- timeout 30 python3 -c "
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(('10.77.0.20',5001)); s.listen(1)
c,_=s.accept(); f=open('$TMP/received','wb')
while True:
    b=c.recv(65536)
    if not b: break
    f.write(b)
" &
server=$!
sleep 0.5
"$LAB" exec vm0 --lab "$L" -- timeout 30 python3 -c "
import socket
s=socket.create_connection(('10.77.0.20',5001)); s.sendall(open('$TMP/payload','rb').read()); s.close()
" || fail "sending the file"
wait $server
cmp -s "$TMP/payload" "$TMP/received" || fail "the file arrived altered or incomplete"
pass "iperf3 TCP $mbps Mbit/s without errors; 20 MiB arrived byte-identical"
