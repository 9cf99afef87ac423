#!/usr/bin/env bash
# First benchmark: one veth link between two namespaces (examples/lab/pair.yaml). TCP and UDP throughput
# (iperf3) and ping latency over the bare veth, through mlink (release build) and through wireguard-go
# (Debian's package), all in one run, printed with ratios against the bare link.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH=/opt/swift/usr/bin:$PATH
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
scripts/install-deps.sh
SECONDS_=${BENCH_SECONDS:-5}
swift build -c release --product mlink >/dev/null && swift build --product mlink-lab >/dev/null
swift build -c release --product mlink-bench-engine >/dev/null
export MLINK_BIN=$PWD/.build/release/mlink
LAB=.build/debug/mlink-lab; L=bench
$LAB down $L >/dev/null 2>&1 || true
cleanup() { ip netns exec $L-a ip link del wgba 2>/dev/null || true; ip netns exec $L-b ip link del wgbb 2>/dev/null || true
            pkill -f "wireguard-go wgb" 2>/dev/null || true; $LAB down $L >/dev/null 2>&1 || true; }
trap cleanup EXIT
$LAB up examples/lab/pair.yaml --name $L >/dev/null 2>&1
x() { ip netns exec "$L-$1" "${@:2}"; }
# wireguard-go on the same wire
ka=$(wg genkey); kb=$(wg genkey)
# Distinct names: wireguard-go's control sockets live in /var/run/wireguard, shared by every namespace.
for h in a b; do x $h env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go wgb$h >/dev/null 2>&1; done
echo "$ka" > /tmp/mlink-bench-ka; echo "$kb" > /tmp/mlink-bench-kb
x a wg set wgba private-key /tmp/mlink-bench-ka peer "$(echo "$kb" | wg pubkey)" allowed-ips 10.99.0.2/32 endpoint 192.168.100.2:51820
x b wg set wgbb private-key /tmp/mlink-bench-kb listen-port 51820 peer "$(echo "$ka" | wg pubkey)" allowed-ips 10.99.0.1/32
rm -f /tmp/mlink-bench-ka /tmp/mlink-bench-kb
x a ip addr add 10.99.0.1/24 dev wgba; x b ip addr add 10.99.0.2/24 dev wgbb
x a ip link set wgba mtu 1420 up; x b ip link set wgbb mtu 1420 up
x a ping -c 5 -i 0.1 -w 5 10.99.0.2 >/dev/null; x a ping -c 5 -i 0.1 -w 5 10.77.0.1 >/dev/null
measure() {  # measure NAME ADDRESS
    x b iperf3 -s -1 -D -B "$2" >/dev/null 2>&1; sleep 0.3
    local tcp udp lat
    tcp=$(x a iperf3 -c "$2" -t "$SECONDS_" -J | python3 -c "import json,sys; print(round(json.load(sys.stdin)['end']['sum_received']['bits_per_second']/1e6,1))")
    x b iperf3 -s -1 -D -B "$2" >/dev/null 2>&1; sleep 0.3
    udp=$(x a iperf3 -c "$2" -u -b 0 -l 1300 -t "$SECONDS_" -J | python3 -c "import json,sys; e=json.load(sys.stdin)['end']['sum']; print(round(e['bits_per_second']*(1-e['lost_percent']/100)/1e6,1))")
    lat=$(x a ping -c 500 -i 0.002 -q "$2" | sed -nE 's#.*= [0-9.]+/([0-9.]+)/.*#\1#p')
    echo "$1 $tcp $udp $lat"
}
{
measure bare 192.168.100.2
measure wireguard-go 10.99.0.2
measure mlink 10.77.0.1
} > /tmp/mlink-bench.txt
python3 - <<'PY'
rows = [l.split() for l in open("/tmp/mlink-bench.txt")]
base = {"tcp": float(rows[0][1]), "udp": float(rows[0][2]), "rtt": float(rows[0][3])}
print("%-14s %14s %8s %14s %8s %12s %8s" % ("path", "TCP Mbit/s", "x bare", "UDP Mbit/s", "x bare", "ping avg ms", "x bare"))
for name, tcp, udp, rtt in rows:
    print("%-14s %14s %8.3f %14s %8.3f %12s %8.2f" % (name, tcp, float(tcp)/base["tcp"], udp, float(udp)/base["udp"], rtt, float(rtt)/base["rtt"]))
wg = [r for r in rows if r[0] == "wireguard-go"][0]; ml = [r for r in rows if r[0] == "mlink"][0]
print("\nmlink / wireguard-go: TCP %.2f, UDP %.2f, latency %.2f" % (float(ml[1])/float(wg[1]), float(ml[2])/float(wg[2]), float(ml[3])/float(wg[3])))
PY
echo
echo "CPU cost of the protocol core alone (no I/O; seal, verify, decrypt, window, route):"
.build/release/mlink-bench-engine 300000
