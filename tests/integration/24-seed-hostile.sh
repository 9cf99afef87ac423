#!/usr/bin/env bash
# Hostile input against the seed lab (issue 4): what a capture on the wire shows, replayed packets, a flood of
# random and mutated datagrams at the router's port, a listed peer forging another's source address, and a peer
# whose key the router does not know. Every attack runs from a namespace of this lab, at this lab's addresses.
source "$(dirname "$0")/lib.sh"
need_root
command -v tcpdump >/dev/null || skip "needs tcpdump"
L=lh$$
lab_up "$ROOT/examples/lab/seed.yaml" "$L"
RUN=/run/mlink-lab/$L
BLAST=$ROOT/tests/tools/udpblast.py
in_ns() { local host=$1; shift; "$LAB" exec "$host" --lab "$L" -- "$@"; }
tun_of() { basename "$(ls "$RUN"/run/"$1"/*.state)" .state; }
show() { in_ns "$1" env MLINK_RUN_DIR="$RUN/run/$1" "$MLINK" show --json "$(tun_of "$1")"; }
router_pid() { show vm1 | json_query "d['pid']"; }
rss_kib() { awk '/VmRSS/ {print $2}' /proc/"$1"/status; }
in_ns vm0 ping -c 20 -i 0.05 -w 10 10.77.0.20 >/dev/null || fail "tunnel did not come up"

# 1. The wire shows no inner payload: a ping pattern is visible on the TUN device, never on a link.
pattern=6d6c696e6b2d7365637265742d21
in_ns vm0 tcpdump -i enp0s3 -U -w "$TMP/wire.pcap" udp >/dev/null 2>&1 & wire_dump=$!
in_ns vm0 tcpdump -i "$(tun_of vm0)" -U -w "$TMP/tun.pcap" >/dev/null 2>&1 & tun_dump=$!
sleep 1
in_ns vm0 ping -c 20 -i 0.02 -s 200 -p "$pattern" 10.77.0.20 >/dev/null || fail "ping with a pattern"
sleep 0.5
kill "$wire_dump" "$tun_dump"; wait "$wire_dump" "$tun_dump" 2>/dev/null
python3 - "$pattern" "$TMP/wire.pcap" "$TMP/tun.pcap" <<'PY' || fail "inner payload visible on the wire"
import sys
pattern = bytes.fromhex(sys.argv[1])
wire, tun = (open(p, "rb").read() for p in sys.argv[2:4])
print(f"  capture: pattern {tun.count(pattern)}x in the TUN capture ({len(tun)} B), "
      f"{wire.count(pattern)}x in the wire capture ({len(wire)} B)")
sys.exit(0 if tun.count(pattern) >= 20 and wire.count(pattern) == 0 else 1)
PY

# 2. Captured datagrams replayed to the router while a ping runs: nothing delivered twice.
before=$(show vm1 | json_query "sum(p['duplicates'] + p['too_old'] for p in d['peers'])")
in_ns vm0 ping -c 150 -i 0.02 10.77.0.20 >"$TMP/replay-ping.txt" 2>&1 & ping_pid=$!
sleep 0.5
for _ in 1 2 3; do in_ns vm0 python3 "$BLAST" replay 192.168.0.3 7000 "$TMP/wire.pcap" >"$TMP/replay.json"; sleep 0.3; done
wait "$ping_pid"
read -r tx rx dup < <(ping_stats "$TMP/replay-ping.txt")
after=$(show vm1 | json_query "sum(p['duplicates'] + p['too_old'] for p in d['peers'])")
replayed=$(json_query "d['sent']" <"$TMP/replay.json")
note "replay: 3 x $replayed captured datagrams; ping $rx/$tx, $dup duplicates; router dropped $((after - before)) as duplicate or too old"
[ "$dup" = 0 ] || fail "a replayed packet was delivered again ($dup duplicates)"
[ "$rx" = "$tx" ] || fail "ping lost $((tx - rx)) during the replay"

# 3. A flood of random and mutated datagrams at the router's port, with a ping running through the tunnel.
pid=$(router_pid)
drops_before=$(show vm1 | json_query "sum(d['drops'][k] for k in ('malformed','unknown_session','unauthenticated','unknown_key','rate_limited'))")
rss_before=$(rss_kib "$pid")
in_ns vm0 ping -c 400 -i 0.01 10.77.0.20 >"$TMP/flood-ping.txt" 2>&1 & ping_pid=$!
sleep 0.3
in_ns vm2 python3 "$BLAST" flood 192.168.2.3 7000 120000 "$TMP/wire.pcap" >"$TMP/flood.json" || fail "flood sender"
wait "$ping_pid"
sleep 0.5
rss_after=$(rss_kib "$pid")
drops_after=$(show vm1 | json_query "sum(d['drops'][k] for k in ('malformed','unknown_session','unauthenticated','unknown_key','rate_limited'))")
read -r tx rx dup < <(ping_stats "$TMP/flood-ping.txt")
flood=$(json_query "str(d['sent']) + ' datagrams in ' + str(d['seconds']) + ' s'" <"$TMP/flood.json")
note "flood: $flood; router counted $((drops_after - drops_before)) drops; ping $rx/$tx, $dup duplicates; router RSS ${rss_before} -> ${rss_after} KiB"
[ "$rx" = "$tx" ] && [ "$dup" = 0 ] || fail "ping through the tunnel saw loss or duplicates during the flood"
[ $((drops_after - drops_before)) -ge 100000 ] || fail "the router counted fewer than 100000 drops"
[ $((rss_after - rss_before)) -le 2048 ] || fail "router memory grew by $((rss_after - rss_before)) KiB"
[ "$(router_pid)" = "$pid" ] || fail "the router restarted"

# 4. A listed peer (vm0) sending with another peer's virtual source address gets nothing through.
rejected_before=$(show vm1 | json_query "[p for p in d['peers'] if p['name'] == 'vm0'][0]['source_rejected']")
in_ns vm0 ip addr add 10.77.0.20/32 dev "$(tun_of vm0)"
in_ns vm0 ping -c 5 -i 0.1 -W 1 -I 10.77.0.20 10.77.0.1 >/dev/null 2>&1 && fail "a forged source got an answer"
in_ns vm0 ip addr del 10.77.0.20/32 dev "$(tun_of vm0)"
rejected_after=$(show vm1 | json_query "[p for p in d['peers'] if p['name'] == 'vm0'][0]['source_rejected']")
note "forged source 10.77.0.20 from vm0: $((rejected_after - rejected_before)) packets rejected by the router"
[ $((rejected_after - rejected_before)) -ge 5 ] || fail "the router did not count the forged packets"

# 5. vm2 comes back with a key the router does not list: no packet gets through.
in_ns vm2 env MLINK_RUN_DIR="$RUN/run/vm2" "$MLINK" down "$(tun_of vm2)" >/dev/null || fail "down vm2"
sed "s|^private-key: .*|private-key: $("$MLINK" genkey)|" "$RUN/vm2.yaml" >"$TMP/stranger.yaml"
chmod 600 "$TMP/stranger.yaml"
unknown_before=$(show vm1 | json_query "d['drops']['unknown_key']")
in_ns vm2 env MLINK_RUN_DIR="$RUN/run/vm2" "$MLINK" up "$TMP/stranger.yaml" >/dev/null 2>&1 || fail "up with a stranger's key"
in_ns vm2 ping -c 10 -i 0.2 -W 1 10.77.0.1 >/dev/null 2>&1 && fail "a peer with an unknown key got an answer"
in_ns vm0 ping -c 3 -W 1 10.77.0.20 >/dev/null 2>&1 && fail "traffic reached the stranger"
unknown_after=$(show vm1 | json_query "d['drops']['unknown_key']")
in_ns vm2 env MLINK_RUN_DIR="$RUN/run/vm2" "$MLINK" down "$(tun_of vm2)" >/dev/null
note "unknown key: $((unknown_after - unknown_before)) initiations refused, no answer"
[ $((unknown_after - unknown_before)) -ge 1 ] || fail "the router did not count the unknown key"
pass "no payload on the wire; replays not delivered; 120000-datagram flood: no ping loss, memory flat; forged source and unknown key get nothing through"
