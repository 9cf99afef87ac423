#!/usr/bin/env bash
# The classifier on real packets through the TUN (issue 15: "RTP and WebRTC-like flows classified within 10
# packets or 200 ms, bulk never classified real time, across 20 runs"). vm0 runs with policies on; each run sends
# four new flows for 1 s through the tunnel to the router (flow-shapes.py: RTP audio, WebRTC-like STUN + DTLS +
# RTP video, UDP bulk, TCP bulk, from fresh source ports), then reads vm0's `show --json`: the audio flow must be
# `rt-audio` and the WebRTC flow `rt-video`, each decided at packet <= 10 or <= 200 ms after its first; the two
# bulk flows never given a live class (`first_live_packet` 0). Prints the worst decision over the runs.
source "$(dirname "$0")/lib-rt.sh"
need_root
runs=${CLASSIFIER_RUNS:-20}
seconds=${CLASSIFIER_SECONDS:-1}
SHAPES="$ROOT/tests/integration/flow-shapes.py"
seed_lab cl$$
cat >>"$LABDIR/vm0.yaml" <<'EOF'
policies:
  - {name: calls, match: {detect: [rtp-audio, rtp-video, webrtc]}, mode: redundant}
  - {name: default, mode: redundant}
EOF
start_mlink vm1 vm0
in_host vm0 ping -c 5 -i 0.1 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
# Not through in_host: a backgrounded function is a subshell, and killing it at exit would leave the sink running.
ip netns exec "$L-vm1" python3 "$SHAPES" sink 10.77.0.1 41003 &
sleep 0.3

results="$TMP/results.txt"
: >"$results"
for run in $(seq 1 "$runs"); do
    base=$((42000 + 10 * run))
    in_host vm0 python3 "$SHAPES" send 10.77.0.1 41000 "$base" "$seconds" || fail "run $run: the sender failed"
    show_json vm0 >"$TMP/show-$run.json" || fail "run $run: mlink show --json"
    python3 - "$TMP/show-$run.json" "$base" "$run" >>"$results" <<'PY' || fail "run $run: $(tail -1 "$results")"
import json, re, sys
show, base, run = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
flows = {}
for f in show["policies"]["flows"]:
    m = re.match(r"(udp|tcp) \S+:(\d+) > ", f["flow"])
    port = int(m.group(2)) if m else -1
    if base <= port <= base + 3:
        flows[port - base] = f
names = {0: "audio", 1: "webrtc", 2: "udp-bulk", 3: "tcp-bulk"}
missing = [names[i] for i in names if i not in flows]
if missing:
    print(f"run {run}: flows not in show: {missing}")
    sys.exit(1)
problems, line = [], []
for i, want in ((0, "rt-audio"), (1, "rt-video")):
    f = flows[i]
    on_time = f["decided_at_packet"] > 0 and (f["decided_at_packet"] <= 10 or f["decided_after_ms"] <= 200)
    line.append(f"{names[i]} {f['class']} by {f['reason']} at packet {f['decided_at_packet']} "
                f"after {f['decided_after_ms']:.1f} ms")
    if f["class"] != want or not on_time:
        problems.append(f"{names[i]}: {f['class']} at packet {f['decided_at_packet']}, {f['decided_after_ms']} ms "
                        f"(want {want} within 10 packets or 200 ms; detected {f['detected']})")
if "webrtc" not in flows[1]["detected"]:
    problems.append(f"webrtc: detected {flows[1]['detected']}")
for i in (2, 3):
    f = flows[i]
    line.append(f"{names[i]} {f['class']} ({f['packets']} packets)")
    if f["first_live_packet"] != 0:
        problems.append(f"{names[i]}: called live at packet {f['first_live_packet']} (now {f['class']})")
print(f"run {run}: " + "; ".join(line) + (" -- " + "; ".join(problems) if problems else ""))
sys.exit(1 if problems else 0)
PY
done
sed 's/^/  /' "$results"
summary=$(python3 - "$results" <<'PY'
import re, sys
audio, webrtc = [], []
for line in open(sys.argv[1]):
    for name, bucket in (("audio", audio), ("webrtc", webrtc)):
        m = re.search(name + r" rt-\w+ by \w+ at packet (\d+) after ([\d.]+) ms", line)
        bucket.append((int(m.group(1)), float(m.group(2))))
print(f"audio decided by packet {max(p for p, _ in audio)} (at most {max(t for _, t in audio):.1f} ms), "
      f"WebRTC by packet {max(p for p, _ in webrtc)} (at most {max(t for _, t in webrtc):.1f} ms)")
PY
)
pass "$runs runs: $summary; bulk (UDP and TCP) never live"
