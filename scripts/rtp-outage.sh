#!/usr/bin/env bash
# A real client under the outage scenario (issue 5): a VP8 video stream over RTP, sent by GStreamer from VM0 to
# VM2 twice at once, over net0 alone (plain routed IP) and through mlink over both links, while net0 (the faster
# link, 20 ms; net1 35 ms) is cut for 5 s in the middle of 15 s. VM2 receives each copy with a real receiver
# (rtpjitterbuffer 150 ms, VP8 depayloader and decoder) and counts RTP packets and decoded frames.
#   sudo scripts/rtp-outage.sh            (MLINK_LAB_BIN / MLINK_BIN choose the binaries; default .build/debug)
# Exit 0 when mlink lost no packet and no frame, 1 otherwise, 77 when something it needs is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
command -v gst-launch-1.0 >/dev/null || { echo "SKIP: needs gstreamer1.0-tools (scripts/install-deps.sh)"; exit 77; }
for element in videotestsrc vp8enc rtpvp8pay rtpjitterbuffer rtpvp8depay vp8dec; do
    gst-inspect-1.0 "$element" >/dev/null 2>&1 || { echo "SKIP: GStreamer element $element missing"; exit 77; }
done
LAB=${MLINK_LAB_BIN:-.build/debug/mlink-lab}
export MLINK_BIN=${MLINK_BIN:-$(dirname "$LAB")/mlink}
L=${RTP_LAB:-emrtp}
SECONDS_RUN=15 FPS=25
TMP=$(mktemp -d /tmp/mlink-rtp.XXXXXX)
cleanup() { "$LAB" down "$L" >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
x() { local host=$1; shift; ip netns exec "$L-$host" "$@"; }
"$LAB" up examples/lab/bench.yaml --name "$L" >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; exit 1; }
"$LAB" set net0 delay=20ms jitter=2ms --lab "$L" >/dev/null 2>&1
"$LAB" set net1 delay=35ms jitter=3ms --lab "$L" >/dev/null 2>&1
# The single-link path: VM2 owns 10.90.0.2, which VM0 reaches over net0 and the router forwards to VM2.
x vm2 ip addr add 10.90.0.2/32 dev lo
x vm2 ip route add default via 192.168.2.3
x vm1 ip route add 10.90.0.2/32 via 192.168.2.2
x vm0 ip route add 10.90.0.2/32 via 192.168.0.3 dev enp0s3
for target in 10.90.0.2 10.77.0.20; do
    for _ in $(seq 40); do x vm0 ping -c 1 -W 1 "$target" >/dev/null 2>&1 && break; sleep 0.5; done
done
sleep 1
caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96"
for port in 6001 6002; do
    # Slack for a sender that starts late on a loaded machine: the receivers must outlive the last packet. A 4 MiB
    # socket buffer (both receivers alike): a receiver that falls behind for a moment must not drop what arrived.
    x vm2 timeout -s INT $((SECONDS_RUN + 8)) gst-launch-1.0 -v udpsrc port=$port buffer-size=4194304 caps="$caps" \
        ! identity name=rx silent=false ! rtpjitterbuffer latency=150 drop-on-latency=true \
        ! rtpvp8depay ! vp8dec ! fakesink name=frames silent=false sync=false >"$TMP/rx-$port.txt" 2>&1 &
done
sleep 1
cat >"$TMP/script.yaml" <<YAML
- {at: 5s, down: on}
- {at: 10s, down: off}
YAML
"$LAB" set net0 --script "$TMP/script.yaml" --lab "$L" >/dev/null 2>&1
x vm0 timeout $((SECONDS_RUN + 5)) gst-launch-1.0 -v videotestsrc is-live=true num-buffers=$((SECONDS_RUN * FPS)) pattern=smpte horizontal-speed=8 \
    ! video/x-raw,width=640,height=360,framerate=$FPS/1 ! vp8enc deadline=1 keyframe-max-dist=50 target-bitrate=1500000 \
    ! rtpvp8pay pt=96 mtu=1200 ! identity name=tx silent=false ! tee name=t \
    ! queue ! udpsink host=10.90.0.2 port=6001 t. ! queue ! udpsink host=10.77.0.20 port=6002 >"$TMP/tx.txt" 2>&1
wait
sent=$(grep -c "tx: last-message = chain" "$TMP/tx.txt")
frames=$((SECONDS_RUN * FPS))
printf "%-22s %8s %8s %8s %10s %10s\n" path "packets" "lost" "loss %" "frames" "lost"
result=0
for port in 6001 6002; do
    name="net0 alone"; [ $port = 6002 ] && name="mlink (both links)"
    got=$(grep -c "rx: last-message = chain" "$TMP/rx-$port.txt")
    decoded=$(grep -c "frames: last-message = chain" "$TMP/rx-$port.txt")
    printf "%-22s %8d %8d %8.2f %10d %10d\n" "$name" "$sent" $((sent - got)) \
        "$(python3 -c "print(100*($sent-$got)/max(1,$sent))")" "$decoded" $((frames - decoded))
    if [ $port = 6002 ] && { [ "$got" -lt "$sent" ] || [ "$decoded" -lt "$frames" ]; }; then result=1; fi
done
echo "($frames frames of 640x360 VP8 at 1.5 Mbit/s sent; net0 cut from 5 s to 10 s of $SECONDS_RUN s)"
# Datagrams VM2's kernel dropped because a receiver's socket was full (the receiver fell behind, not the path).
overflowed=$(x vm2 awk '/^Udp:/ { if (++n == 2) print $6 }' /proc/net/snmp)
echo "VM2 UDP receive-buffer drops: ${overflowed:-?}"
if [ $result = 1 ]; then
    # Where the missing packets went: the emulated wires' counters, then each mlink's drops and peer counters.
    "$LAB" status "$L" | sed -n '/^nets:/,$p'
    for host in vm0 vm1 vm2; do
        x $host env MLINK_RUN_DIR=/run/mlink-lab/$L/run/$host "$MLINK_BIN" show --json | python3 -c '
import json, sys
d = json.load(sys.stdin); d = d[0] if isinstance(d, list) else d
keep = ("sent", "delivered", "forwarded", "duplicates", "too_old", "no_path", "staging_drops", "repaired", "handshakes")
print(sys.argv[1], "drops:", {k: v for k, v in d.get("drops", {}).items() if v} or "none", "tun:", d.get("tun"))
for p in d.get("peers", []):
    print("   ", p["name"], {k: p[k] for k in keep if k in p})
' "$host"
    done
fi
exit $result
