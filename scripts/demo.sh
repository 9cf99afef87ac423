#!/usr/bin/env bash
# The demo: the seed lab (VM0 -> VM1 router -> VM2). VM0 streams 200 packets/s of 160-byte frames to VM2 for
# 10 s, three ways at once: over net0 alone, over net1 alone (plain UDP routed by VM1), and through mlink over
# both. net0 is cut from 3 s to 6 s; net1 drops 20% of packets the whole time. Prints the three side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH=/opt/swift/usr/bin:$PATH
[ "$(id -u)" = 0 ] || { echo "the demo builds network namespaces: run it as root"; exit 77; }
scripts/install-deps.sh
swift build --product mlink >/dev/null && swift build --product mlink-lab >/dev/null
export MLINK_BIN=$PWD/.build/debug/mlink
LAB=.build/debug/mlink-lab; L=demo
$LAB down $L >/dev/null 2>&1 || true
trap '$LAB down $L >/dev/null 2>&1 || true' EXIT
echo "== building the seed lab and starting mlink on vm0, vm1 (router), vm2"
$LAB up examples/lab/seed.yaml --name $L 2>&1 | grep -E "^\[lab\] .*mlink up" || true
x() { $LAB exec "$1" --lab $L -- "${@:2}"; }
# Plain routing for the single-link baselines: VM1 forwards, VM0 reaches VM2's net2 address over net0 and its
# net3 address over net1.
x vm1 sysctl -qw net.ipv4.ip_forward=1
x vm0 ip route add 192.168.2.0/24 via 192.168.0.3
x vm0 ip route add 192.168.3.0/24 via 192.168.1.3
x vm2 ip route add 192.168.0.0/24 via 192.168.2.3
x vm2 ip route add 192.168.1.0/24 via 192.168.3.3
x vm0 ping -c 10 -i 0.1 -w 10 10.77.0.20 >/dev/null
RATE=200; SECONDS_=10; SENT=$((RATE * SECONDS_))
x vm2 python3 scripts/rtstream.py recv 192.168.2.2 6000 --seconds 12 --sent $SENT >/tmp/demo-net0.json &
x vm2 python3 scripts/rtstream.py recv 192.168.3.2 6001 --seconds 12 --sent $SENT >/tmp/demo-net1.json &
x vm2 python3 scripts/rtstream.py recv 10.77.0.20 6002 --seconds 12 --sent $SENT >/tmp/demo-mlink.json &
sleep 0.5
$LAB loss net1 20 --lab $L >/dev/null 2>&1
echo "== streaming ${RATE} packets/s for ${SECONDS_} s; net1 drops 20%; net0 is cut from 3 s to 6 s"
x vm0 python3 scripts/rtstream.py send 192.168.2.2 6000 --rate $RATE --seconds $SECONDS_ >/dev/null &
x vm0 python3 scripts/rtstream.py send 192.168.3.2 6001 --rate $RATE --seconds $SECONDS_ >/dev/null &
x vm0 python3 scripts/rtstream.py send 10.77.0.20 6002 --rate $RATE --seconds $SECONDS_ >/dev/null &
sleep 3; $LAB cut net0 --lab $L --for 3 >/dev/null 2>&1
wait
python3 - <<'PY'
import json
runs = [("net0 alone", "/tmp/demo-net0.json"), ("net1 alone", "/tmp/demo-net1.json"), ("mlink (both)", "/tmp/demo-mlink.json")]
rows = [(name, json.load(open(path))) for name, path in runs]
keys = [("sent", "sent"), ("received", "received"), ("lost", "lost"), ("loss %", None), ("late >150ms", "late"),
        ("duplicates seen", "duplicates"), ("delay p50 ms", "p50_ms"), ("delay p95 ms", "p95_ms"),
        ("delay p99 ms", "p99_ms"), ("delay max ms", "max_ms"), ("longest gap (pkts)", "longest_gap_packets")]
print("\n%-20s" % "" + "".join("%16s" % n for n, _ in rows))
for label, key in keys:
    vals = []
    for _, r in rows:
        v = round(100 * r["lost"] / r["sent"], 2) if key is None else r[key]
        vals.append("%16s" % v)
    print("%-20s" % label + "".join(vals))
print("\nideal for mlink here: only packets lost on net1 (20%) during the 3 s cut of net0 -> about 6% of packets")
PY
