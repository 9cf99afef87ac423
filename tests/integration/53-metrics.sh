#!/usr/bin/env bash
# The Prometheus endpoint (`metrics-listen`) of a host and of the router in the seed lab: the text parses with
# prometheus_client, carries one series per connection with the conventional names and labels, answers other
# paths with 404, refuses clients beyond its bound without harm, and silent clients never stall the data path.
source "$(dirname "$0")/lib-rt.sh"
need_root
# Debian's package installs for /usr/bin/python3, which a python3 earlier on PATH (pyenv) does not see.
PY=python3
for candidate in /usr/bin/python3 python3; do
    "$candidate" -c 'import prometheus_client' 2>/dev/null && { PY=$candidate; break; }
done
"$PY" -c 'import prometheus_client' 2>/dev/null || skip "needs python3-prometheus-client"
seed_lab rtm$$
echo "metrics-listen: 127.0.0.1:9477" >>"$LABDIR/vm0.yaml"
echo "metrics-listen: 127.0.0.1:9478" >>"$LABDIR/vm1.yaml"
start_mlink vm1 vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"

check() {  # check HOST PORT CONNECTIONS UP MEASURED: parse, print a sample
    in_host "$1" "$PY" - "$2" "$3" "$4" "$5" <<'PY' || fail "metrics of $1"
import sys, urllib.request, urllib.error
from prometheus_client.parser import text_string_to_metric_families
port, expected, up, measured = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
url = f"http://127.0.0.1:{port}/metrics"
response = urllib.request.urlopen(url, timeout=5)
assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4"), response.headers["Content-Type"]
text = response.read().decode()
families = {f.name: f for f in text_string_to_metric_families(text)}
for name, kind in [("mlink_connection_rtt_seconds", "gauge"), ("mlink_connection_tx_bytes", "counter"),
                   ("mlink_connection_rx_bytes", "counter"), ("mlink_connection_loss_ratio", "gauge"),
                   ("mlink_connection_up", "gauge"), ("mlink_connection_first_share_ratio", "gauge"),
                   ("mlink_peer_delivered_packets", "counter"), ("mlink_dropped_packets", "counter")]:
    assert name in families, f"{name} missing: {sorted(families)}"
    assert families[name].type == kind, f"{name} is {families[name].type}"
rtt = [s for s in families["mlink_connection_rtt_seconds"].samples]
assert len(rtt) == expected, f"{len(rtt)} rtt series, expected {expected}"
for s in rtt:
    assert {"interface", "peer", "link", "remote"} <= set(s.labels), s.labels
    assert 0 <= s.value < 1, f"rtt {s.value}"
assert sum(1 for s in rtt if s.value > 0) >= measured, rtt
rx = [s for s in families["mlink_connection_rx_bytes"].samples if s.name.endswith("_total")]
assert len(rx) == expected and sum(1 for s in rx if s.value > 0) >= up, rx
assert sum(s.value for s in families["mlink_connection_up"].samples) >= up, families["mlink_connection_up"].samples
try:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=5)
    raise SystemExit("/other did not fail")
except urllib.error.HTTPError as e:
    assert e.code == 404, e.code
print(f"  {len(families)} families, {len(text.splitlines())} lines; for example:")
for line in text.splitlines():
    if line.startswith(("mlink_connection_rtt_seconds{", "mlink_connection_tx_bytes_total{")):
        print("    " + line)
PY
}
# vm0: two links x two router addresses, the two crossed ones never answer; the router measures no RTT in v1
check vm0 9477 4 2 2
check vm1 9478 2 2 0

# 20 silent clients (more than the bound of 8) while 400 echoes run at 5 ms: none lost, and the endpoint still
# answers afterwards.
in_host vm0 "$PY" - <<'PY' &
import socket, time
held = [socket.create_connection(("127.0.0.1", 9477)) for _ in range(20)]
time.sleep(3)
PY
silent=$!
in_host vm0 ping -c 400 -i 0.005 -W 1 10.77.0.1 >"$TMP/ping.txt" 2>&1
wait $silent
read -r tx rx dup < <(ping_stats "$TMP/ping.txt")
note "400 echoes with 20 silent metrics clients connected: $rx received"
[ "$rx" = 400 ] || fail "silent metrics clients disturbed the data path: $tx sent, $rx received"
in_host vm0 "$PY" -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:9477/metrics", timeout=5).read()' \
    || fail "endpoint did not answer after the silent clients"
pass "metrics of host and router parse with prometheus_client (per-connection series, 404 elsewhere, bounded, non-blocking)"
